"""The questionnaire domain of VendorWatch: definitions (YAML files in ``library/``), campaigns and review,
evidence, reminders and the offline workbook. No web framework here: the vendor portal (``questionnaires.portal``),
the dashboard and the CLI call these functions. See docs/questionnaires.md."""
