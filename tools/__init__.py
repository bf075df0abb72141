"""Maintenance tools of the course: notebook shape checks, budgets, slides, browser smoke test."""
