//! Systems Manager Parameter Store: the adapter `secrets` and `deploy` use.
