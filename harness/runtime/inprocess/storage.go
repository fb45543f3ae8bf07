package inprocess

// StorageDir is the registry's storage directory on this host
// (runtime.LocalStorage), where scenario files like dead-letter logs live.
func (r *Runtime) StorageDir() string { return r.dir }
