# One service of a deployment: `services.<name>`. The files below are
# grouped by theme; together they are the service model every target
# (Procfile, `nix2dream up`, and later Compose, Kubernetes, systemd, OCI)
# reads. Each file is imported once here and the module values are shared
# by every service, instead of every service importing the files again
# (each file names itself in `_file`, for messages and documentation).
#
# The files that need nothing of the service (networking, lifecycle,
# runtime) are functions of `lib` and `n2d` only: their options, types
# included, are built once per deployment rather than once per service.
{ lib, n2d }:
let
  shared = file: import file { inherit lib n2d; };
in
{
  imports = [
    (import ./service.nix) # the original nix2dream options (`service.*`, renderers)
    (import ./modular.nix) # NixOS modular services: process.argv, configData, assertions
    (shared ./networking.nix) # ports and health checks
    (shared ./lifecycle.nix) # dependsOn, restart, stop signal and grace period
    (shared ./runtime.nix) # user, group, working directory, resources, ...
    (import ./definitions.nix) # where options were defined, for error messages
  ];
}
