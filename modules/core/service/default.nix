# One service of a deployment: `services.<name>`. The files below are
# grouped by theme; together they are the service model every target
# (Procfile, `nix2dream up`, and later Compose, Kubernetes, systemd, OCI)
# reads. Each file is imported once here and the module values are shared
# by every service, instead of every service importing the files again
# (each file names itself in `_file`, for messages and documentation).
#
# Every file is a function of `lib`, `n2d` and the deployment's `config`,
# evaluated once per deployment, so that options and their types are
# declared once, not once per service. Only the defaults that depend on
# the service itself (./service.nix's `perService`) are a module function
# that every service calls.
{ lib, n2d, deployment }:
let
  shared = file: import file { inherit lib n2d deployment; };
in
{
  imports = [
    (shared ./service.nix) # the original nix2dream options (`service.*`, renderers)
    (shared ./modular.nix) # NixOS modular services: process.argv, configData, assertions
    (shared ./networking.nix) # ports and health checks
    (shared ./lifecycle.nix) # dependsOn, restart, stop signal and grace period
    (shared ./runtime.nix) # user, group, working directory, resources, ...
    (import ./definitions.nix) # where options were defined, for error messages
  ];
}
