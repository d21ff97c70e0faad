# A modular service: it declares its own options (`clock.*`) and turns
# them into a raw argument vector and a configuration file. Nothing in it
# is specific to nix2dream.
{ config, lib, name, ... }:
let
  inherit (lib) mkOption types;
  cfg = config.clock;
in
{
  _class = "service";

  options.clock = {
    label = mkOption {
      type = types.str;
      default = name;
      description = "What the clock calls itself.";
    };
    every = mkOption {
      type = types.ints.positive;
      default = 1;
      description = "Seconds between ticks.";
    };
  };

  config = {
    description = "Ticks every ${toString cfg.every}s";
    # The path of the installed configuration file goes to the program as
    # an argument; no shell is involved.
    process.argv = [ "python3" "-u" ./clock.py config.configData."clock.json".path ];
    configData."clock.json".text = builtins.toJSON { inherit (cfg) label every; };
    # Ready once the first tick is in the log.
    healthCheck.logLine = "tick 1$";
    restart.policy = "on-failure";
  };
}
