"""RoleLens training: keyword-seeded examples from the role descriptions, then a saved model."""
