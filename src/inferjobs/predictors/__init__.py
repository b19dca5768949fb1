"""Predictors: the plug-in code that implements model versions (entry-point group
`inferjobs.predictors`)."""
