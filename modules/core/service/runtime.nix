# Who the service runs as, where, with what environment files and limits.
{ lib, n2d, ... }:
let
  inherit (lib) mkOption types literalExpression;

  resources = {
    options = {
      cpus = mkOption {
        type = types.nullOr (types.either types.ints.positive types.float);
        default = null;
        description = "The number of CPUs the service may use (fractions allowed). Enforced by container targets; `nix2dream up` and the Procfile target cannot enforce it and say so.";
      };
      memory = mkOption {
        type = types.nullOr (types.either types.ints.positive (types.strMatching "[0-9]+[KMGT]?"));
        default = null;
        description = "The memory the service may use, in bytes or with a K, M, G or T suffix. On this machine it limits the address space (`ulimit -v`).";
        example = "512M";
      };
      openFiles = mkOption {
        type = types.nullOr types.ints.positive;
        default = null;
        description = "The most files the service may have open at once (`ulimit -n`).";
      };
    };
  };
in
{
  _file = toString ./runtime.nix;

  options = {
    description = mkOption {
      type = types.str;
      default = "";
      description = "What the service does, in one line.";
    };

    user = mkOption {
      type = types.nullOr types.str;
      default = null;
      description = "The user the service runs as (a name or a numeric id). `null` keeps the user that starts the deployment.";
    };

    group = mkOption {
      type = types.nullOr types.str;
      default = null;
      description = "The group the service runs as (a name or a numeric id). `null` keeps the user's group.";
    };

    workingDirectory = mkOption {
      type = types.nullOr n2d.hostPath;
      default = null;
      description = "The directory the service runs in. `null` keeps the directory the deployment was started from.";
    };

    replicas = mkOption {
      type = types.ints.positive;
      default = 1;
      description = "How many copies of the service run. On this machine each copy gets its own allocated ports.";
    };

    environmentFiles = mkOption {
      type = types.listOf n2d.hostPath;
      default = [ ];
      description = ''
        Files of `NAME=value` lines (read as shell assignments) loaded into
        the environment before `service.env`, which wins. A missing file is
        an error when the service starts.
      '';
    };

    resources = mkOption {
      type = types.nullOr (types.submodule resources);
      default = null;
      description = "Limits on what the service may use. `null`: no limits.";
      example = literalExpression ''{ memory = "512M"; openFiles = 4096; }'';
    };
  };
}
