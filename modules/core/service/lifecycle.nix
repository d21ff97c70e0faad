# When a service starts, restarts and stops.
{ lib, n2d, ... }:
let
  inherit (lib) mkOption types literalExpression;

  condition = types.enum [ "started" "healthy" "completed-successfully" ];
  # `{ condition = ...; }`, as Compose writes it; `{ }` is the default
  # condition. A plain attribute set rather than a submodule: a deployment
  # has as many of these as edges in its dependency graph.
  conditionSet = types.addCheck types.attrs (x: builtins.all (n: n == "condition") (builtins.attrNames x)) // {
    description = "attribute set with only a `condition`";
  };
  defaultCondition = "healthy";
in
{
  _file = toString ./lifecycle.nix;

  options = {
    dependsOn = mkOption {
      type = types.coercedTo (types.listOf types.str)
        (names: lib.genAttrs names (_: defaultCondition))
        (types.attrsOf (types.coercedTo conditionSet (x: x.condition or defaultCondition) condition));
      default = { };
      description = ''
        Services that must be ready before this one starts, by name, each
        with the condition it must reach: `started`; `healthy` (its health
        check passed; a service without a health check is healthy once
        started); or `completed-successfully` (it ran to the end with exit
        status 0). Write `dependsOn.db = "started"`, or as Compose does,
        `dependsOn.db.condition = "started"`; `{ }` or a list of names
        means `healthy`.
      '';
      example = literalExpression ''
        {
          migrate.condition = "completed-successfully";
          database = "started";
          cache = { };
        }
      '';
    };

    restart = {
      policy = mkOption {
        type = types.enum [ "no" "on-failure" "always" ];
        default = "no";
        description = ''
          Whether the service is started again when it exits: never, when
          it fails (a non-zero exit status or a signal other than its stop
          signal), or always.
        '';
      };
      delay = mkOption {
        type = n2d.duration;
        default = "1s";
        description = "The wait before the first restart. It doubles with each consecutive restart, up to `maxDelay`.";
      };
      maxDelay = mkOption {
        type = n2d.duration;
        default = "30s";
        description = "The longest wait between restarts. A run that lasts longer than this resets the wait to `delay`.";
      };
      maxRetries = mkOption {
        type = types.nullOr types.ints.unsigned;
        default = null;
        description = "How many consecutive restarts are tried before the service is given up on; `null` for no limit.";
      };
    };

    stopSignal = mkOption {
      type = n2d.signal;
      default = "SIGTERM";
      description = "The signal that asks the service to stop. It goes to the service's whole process group.";
    };

    stopGracePeriod = mkOption {
      type = n2d.duration;
      default = "10s";
      description = "How long the service may take to stop after its stop signal before it is killed with SIGKILL.";
    };
  };
}
