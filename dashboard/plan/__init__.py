"""The Cost planner page: the training, budget and serving forms, the check against published runs, and what the
probe measured on this machine."""
