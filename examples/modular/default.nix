# NixOS modular services, as they are written for NixOS: a service module
# with options of its own that sets `process.argv` and `configData`, used
# by two services with different settings.
#
# Run it:  nix2dream up examples/modular
let
  # Imported once and used twice (a module is a value like any other).
  clock = import ./clock-service.nix;
in
{
  description = "Two clocks from one service module, and a job that waits for the first tick";

  services.clock-fast = {
    imports = [ clock ];
    clock.every = 1;
  };

  services.clock-slow = {
    imports = [ clock ];
    clock = {
      label = "slow";
      every = 2;
    };
    replicas = 2;
  };

  services.reporter = {
    description = "Reports once the fast clock ticks";
    process.argv = [ "python3" "-c" "print('reporter: the clocks are ticking')" ];
    dependsOn.clock-fast.condition = "healthy";
  };
}
