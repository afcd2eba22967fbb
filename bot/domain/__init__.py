"""Pure rules and result types: no I/O, no clock, no database session."""
