"""The posture over time: what each evaluation left (``snapshot``), and the trend screens and reports read (``trend``)."""
