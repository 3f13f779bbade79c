"""Judge stage: trends (analysis), budgets into a verdict, the culprit, the extension, one run's judgement."""
