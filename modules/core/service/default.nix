# One service of a deployment: `services.<name>`. The files below are
# grouped by theme; together they are the service model every target
# (Procfile, `nix2dream up`, and later Compose, Kubernetes, systemd, OCI)
# reads. Each file is imported once here and the module values are shared
# by every service, instead of every service importing the files again
# (each file names itself in `_file`, for messages and documentation).
{
  imports = map import [
    ./service.nix # the original nix2dream options (`service.*`, renderers)
    ./modular.nix # NixOS modular services: process.argv, configData, assertions
    ./networking.nix # ports and health checks
    ./lifecycle.nix # dependsOn, restart, stop signal and grace period
    ./runtime.nix # user, group, working directory, resources, ...
    ./definitions.nix # where options were defined, for error messages
  ];
}
