# The options of the original nix2dream, with their original meaning.
#
# A function of `lib`, `n2d` and the deployment's `config` that returns the
# service module. The options, their types and the volume submodule are
# built once per deployment; only the defaults that depend on the service
# (its name, its other options) are a module evaluated once per service.
{ lib, n2d, deployment }:
let
  inherit (lib) mkOption types literalExpression;

  envValue = types.nullOr (types.oneOf [ types.bool types.int types.str types.path n2d.package ]);
  packageType = types.nullOr n2d.package;
  argsType = types.listOf (types.coercedTo types.path (p: lib.escapeShellArg (toString p)) types.str);
  envType = types.attrsOf (types.either envValue (types.listOf envValue));
  optionalHostPath = types.nullOr n2d.hostPath;
  tags = types.listOf types.str;

  # A volume of one service; `_prefix` is the volume's option path,
  # `...services.<service>.service.volumes.<volume>`.
  volume = { config, name, _prefix, ... }:
    let serviceName = builtins.elemAt _prefix (builtins.length _prefix - 4);
    in {
    options = {
      path = mkOption {
        type = n2d.hostPath;
        default = "${deployment.stateDirectory}/volumes/${serviceName}/${name}";
        defaultText = literalExpression ''"''${stateDirectory}/volumes/<service>/<name>"'';
        description = "The path to the volume.";
      };
      persisting = mkOption {
        type = types.bool;
        default = true;
        description = "Whether the volume keeps its contents across restarts. A volume that does not is cleared (`clearScript`) each time the service starts.";
      };
      checkScript = mkOption {
        type = types.lines;
        default = "test -d ${lib.escapeShellArg (toString config.path)}";
        defaultText = literalExpression ''"test -d ''${path}"'';
        description = "A script that checks that the volume is valid; the service does not start when it fails.";
      };
      initializeScript = mkOption {
        type = types.lines;
        default = "mkdir -p ${lib.escapeShellArg (toString config.path)}";
        defaultText = literalExpression ''"mkdir -p ''${path}"'';
        description = "A script that makes sure the volume is initialized.";
      };
      clearScript = mkOption {
        type = types.lines;
        default = "rm -rf ${lib.escapeShellArg (toString config.path)}";
        defaultText = literalExpression ''"rm -rf ''${path}"'';
        description = "A script that clears the contents of the volume.";
      };
    };
  };

  # The options, declared once per deployment.
  declarations = {
    _file = toString ./service.nix;

    options = {
      service = {
        package = mkOption {
          type = packageType;
          default = null;
          description = ''
            The package the service runs: a derivation-like attribute set
            (`outPath`, and `meta.mainProgram`, `pname` or `name` to find
            the program in its `bin/`), or the path of a program on the host.
          '';
          example = literalExpression ''"/usr/bin/python3"'';
        };

        mainProgramName = mkOption {
          type = types.str;
          defaultText = literalExpression "package.meta.mainProgram or package.pname or the package name (the program's file name for a host program)";
          description = ''
            The name of the binary that gets executed. The default follows
            `nix run`: `meta.mainProgram`, else `pname`, else the name.
          '';
        };

        mainProgram = mkOption {
          type = n2d.hostPath;
          description = ''
            The program that gets executed: `''${package}/bin/''${mainProgramName}`
            for a package, the program itself for a host program.
          '';
          example = "/usr/bin/python3";
        };

        args = mkOption {
          type = argsType;
          default = [ ];
          description = ''
            Arguments for `mainProgram`, as shell words: the entrypoint joins
            the program and these arguments into one command line, so
            `'''"Hello, $NAME!"'''` expands `$NAME` from `env` and is one
            argument. A Nix path is quoted into one word. For a raw argument
            vector, use `process.argv` instead.
          '';
          example = [ "-g" ''"Hello there, $GENERAL!"'' ];
        };

        env = mkOption {
          type = envType;
          default = { };
          description = ''
            Environment variables of the service. `null` leaves a variable
            unset, Booleans become `1` or the empty string, lists are joined
            with spaces, packages and paths become their path.
          '';
          example = { GENERAL = "General Kenobi"; };
        };

        volumes = mkOption {
          type = types.attrsOf (types.submodule volume);
          default = { };
          description = "Volumes that are available to the service. The entrypoint initializes each one, clears those that do not persist, then checks them.";
        };

        preStart = mkOption {
          type = types.lines;
          default = "";
          description = "A shell script that runs before the main program, after the environment and volumes are set up.";
        };

        entrypoint = mkOption {
          type = optionalHostPath;
          default = null;
          description = ''
            A program that starts the service instead of the generated
            entrypoint. By default nix2dream writes an entrypoint that sets
            the environment, initializes the volumes, runs `preStart` and
            then execs `mainProgram` with `args`; a program set here must do
            all of that itself.
          '';
        };

        renderers.ociContainer = {
          imageTag = mkOption {
            type = types.str;
            defaultText = literalExpression ''"''${mainProgramName}:latest"'';
            description = "The main tag of the service's OCI image.";
          };
          extraImageTags = mkOption {
            type = tags;
            default = [ ];
            description = "More tags for the service's OCI image.";
          };
          allImageTags = mkOption {
            type = tags;
            readOnly = true;
            defaultText = literalExpression "[ imageTag ] ++ extraImageTags";
            description = "Every tag of the service's OCI image.";
          };
        };
      };

      renderers.procfile.launchCommand = mkOption {
        type = optionalHostPath;
        default = null;
        description = ''
          The command on this service's Procfile line
          (`<service>: <launchCommand>`). `null` means the entrypoint that
          `nix2dream render --target procfile` writes beside the Procfile.
        '';
      };
    };
  };

  # The defaults that depend on the service, set as `default` would
  # (`mkOptionDefault`); the options' `defaultText` documents them.
  perService = { config, name, ... }:
    let
      cfg = config.service;
      pkg = cfg.package;
      isPackage = builtins.isAttrs pkg;
      image = cfg.renderers.ociContainer;
    in
    {
      _file = toString ./service.nix;

      config.service = {
        mainProgramName = lib.mkOptionDefault (
          if isPackage then pkg.meta.mainProgram or pkg.pname or (lib.getName pkg)
          else if pkg != null then baseNameOf (toString pkg)
          else if config.process.argv != [ ] then baseNameOf (toString (builtins.head config.process.argv))
          else name);
        mainProgram = lib.mkIf (pkg != null) (lib.mkOptionDefault (
          if isPackage then "${pkg.outPath}/bin/${cfg.mainProgramName}" else toString pkg));
        renderers.ociContainer.imageTag = lib.mkOptionDefault "${cfg.mainProgramName}:latest";
        renderers.ociContainer.allImageTags = lib.mkOptionDefault ([ image.imageTag ] ++ image.extraImageTags);
      };
    };
in
{
  imports = [ declarations perService ];
}
