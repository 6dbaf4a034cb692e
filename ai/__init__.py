"""AI: the provider interface and its implementations (offline today); no domain models, imports feedbackhub only."""
