"""Contributions: accounts, submissions and their review, the spreadsheet template, corrections, kept versions,
withdrawals, merges, redactions, people's requests, the change feed, ownership of subjects, validation and its
reports."""
