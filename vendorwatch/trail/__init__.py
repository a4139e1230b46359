"""The access trail (guideline 6(3)② and 3(2)③): who did what, from where, when; for screens and exports."""
