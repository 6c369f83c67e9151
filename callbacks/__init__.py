"""TownBrain callbacks."""
