"""gongjian (攻坚): SimPy model of a city's major-project campaign (Huai'an 2023)."""
