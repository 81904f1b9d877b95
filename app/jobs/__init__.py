"""Time-based work, run by `portal tick` (and each round of `portal send-mail --loop`)."""
