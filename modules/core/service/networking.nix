# Named ports and the health check.
{ lib, n2d, ... }:
let
  inherit (lib) mkOption types literalExpression;

  port = {
    options = {
      port = mkOption {
        type = types.nullOr types.port;
        default = null;
        description = ''
          The port the service listens on inside its container or sandbox.
          `null` lets the target choose one.
        '';
      };
      hostPort = mkOption {
        type = types.nullOr types.port;
        default = null;
        description = ''
          The port published on the host. On this machine (`nix2dream up`,
          the Procfile target) the service listens on it directly; when it
          is `null`, a free port is allocated.
        '';
      };
      protocol = mkOption {
        type = types.enum [ "tcp" "udp" ];
        default = "tcp";
        description = "The transport protocol.";
      };
    };
  };

  probeTarget = {
    options = {
      port = mkOption {
        type = n2d.portRef;
        description = "The port to probe: a name from `ports` or a number.";
      };
      host = mkOption {
        type = types.str;
        default = "127.0.0.1";
        description = "The host to probe.";
      };
    };
  };

  httpProbe = {
    imports = [ probeTarget ];
    options.path = mkOption {
      type = types.strMatching "/.*";
      default = "/";
      description = "The path to GET; any status below 400 counts as healthy.";
    };
  };

  healthCheck = {
    options = {
      command = mkOption {
        type = types.nullOr (types.either types.str (types.listOf types.str));
        default = null;
        description = "A command that succeeds (exit status 0) when the service is healthy: a shell line, or an argument vector.";
        example = "test -e /tmp/ready";
      };
      httpGet = mkOption {
        type = types.nullOr (types.submodule httpProbe);
        default = null;
        description = "An HTTP GET that answers with a status below 400 when the service is healthy.";
        example = literalExpression ''{ port = "http"; path = "/health"; }'';
      };
      tcpConnect = mkOption {
        type = types.nullOr (types.submodule probeTarget);
        default = null;
        description = "A TCP port that accepts connections when the service is healthy.";
        example = literalExpression ''{ port = "http"; }'';
      };
      logLine = mkOption {
        type = types.nullOr types.str;
        default = null;
        description = "A regular expression; the service is ready once a line of its output matches it.";
        example = "listening on";
      };
      interval = mkOption {
        type = n2d.duration;
        default = "1s";
        description = "Time between two checks.";
      };
      timeout = mkOption {
        type = n2d.duration;
        default = "5s";
        description = "How long one check may take before it counts as failed.";
      };
      retries = mkOption {
        type = types.ints.positive;
        default = 3;
        description = "Consecutive failed checks after which the service counts as unhealthy.";
      };
      startPeriod = mkOption {
        type = n2d.duration;
        default = "0s";
        description = "Time after the start during which failed checks do not count.";
      };
    };
  };
in
{
  _file = toString ./networking.nix;

  options = {
    ports = mkOption {
      type = types.attrsOf (types.submodule port);
      default = { };
      description = ''
        Named ports. When the service runs on this machine, each port's
        number is in the environment: `PORT_<NAME>` for the service's own
        ports, and `<SERVICE>_PORT_<NAME>` for its own and for those of the
        services it depends on (upper-cased, with every character other
        than a letter or digit turned into `_`). A service that must reach
        another one depends on it, if only with `condition = "started"`.
      '';
      example = literalExpression "{ http.port = 8080; }";
    };

    healthCheck = mkOption {
      type = types.nullOr (types.submodule healthCheck);
      default = null;
      description = ''
        How to tell that the service is healthy (and so ready for the
        services that depend on it): exactly one of `command`, `httpGet`,
        `tcpConnect` or `logLine`. `null`: no check; the service counts as
        healthy once it has started.
      '';
      example = literalExpression ''{ httpGet = { port = "http"; path = "/health"; }; interval = "2s"; }'';
    };
  };
}
