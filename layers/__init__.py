"""TownBrain layers."""
