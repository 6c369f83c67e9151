"""TownBrain indicators."""
