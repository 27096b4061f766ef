// Vendored for www/cohortlens/: the worker RPC.
export * from 'comlink';
