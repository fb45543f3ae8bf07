package docker

import "os"

// testcontainers reads its configuration once, at its first use; this init
// runs before that in every program importing this package.
//
//   - Ryuk (the reaper) is off: its image cannot be pulled here. Everything
//     made is removed by Runtime.Close, and Cleanup removes what a killed
//     process left behind.
//   - The machine may itself be a container (/.dockerenv) talking to an
//     engine on its own loopback: then testcontainers would look for
//     published ports on a gateway address and create a default network.
//     Published ports are on 127.0.0.1 here unless the user says otherwise.
func init() {
	os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	if _, ok := os.LookupEnv("TESTCONTAINERS_HOST_OVERRIDE"); !ok {
		os.Setenv("TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1")
	}
}
