# Option types shared by nix2dream's service and deployment modules.
{ lib }:
let
  inherit (lib) types mkOptionType;
in
rec {
  # A program on the host or in a package: a Nix path or a string. Paths
  # are kept as they are (never copied to a store), because the program is
  # run where it lies.
  hostPath = types.either types.str types.path // {
    description = "string or path";
  };

  # What a service runs: a derivation-like attribute set (anything with an
  # `outPath`, optionally `meta.mainProgram`, `pname` or `name`), as the
  # original nix2dream's packages were, or a program path on the host.
  package = mkOptionType {
    name = "package";
    description = "package (an attribute set with outPath) or host program path";
    descriptionClass = "noun";
    check = x: (builtins.isAttrs x && x ? outPath) || builtins.isString x || builtins.isPath x;
    merge = lib.mergeEqualOption;
  };

  # A length of time: seconds as a number, or a string with a unit
  # ("500ms", "2s", "1.5m", "1h"), as Compose and systemd write them.
  duration = types.oneOf [
    types.ints.unsigned
    (types.addCheck types.float (x: x >= 0.0))
    (types.strMatching "[0-9]+(\\.[0-9]+)?(ms|s|m|h)")
  ] // {
    description = "duration (seconds, or a string such as \"500ms\", \"2s\", \"1m\")";
  };

  # The signals a service may ask to be stopped with.
  signal = types.enum [ "SIGTERM" "SIGINT" "SIGQUIT" "SIGHUP" "SIGUSR1" "SIGUSR2" "SIGWINCH" "SIGKILL" ];

  # A port given by its name in `ports` or by number.
  portRef = types.either types.str types.port // {
    description = "port name (from `ports`) or port number";
  };
}
