"""RoleLens command line: `rolelens label|classify|train|serve|eval`."""
