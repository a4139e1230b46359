"""Alert e-mails to the firm: a new critical finding, a source newly past its collection SLA (each sent once)."""
