"""Accounts: registration, login, passwords, organisations, the users CLI."""
