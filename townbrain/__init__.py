"""TownBrain townbrain."""
