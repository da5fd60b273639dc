"""The test suite: core, terminal, and the real Discord and Slack libraries against local fakes."""
