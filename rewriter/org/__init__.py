"""Organization mode: every SCP between the root and an account."""
