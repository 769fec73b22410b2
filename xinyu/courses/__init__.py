"""The "1+1" course rule (QD-T5): each class's lessons and activities per month and semester, and the grid."""
