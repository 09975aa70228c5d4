"""PAC adapters (stamp, recover, cancel, status) and SAT's cancellation rules: docs/apps/pac.md."""
