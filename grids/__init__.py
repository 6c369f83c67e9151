"""TownBrain grids."""
