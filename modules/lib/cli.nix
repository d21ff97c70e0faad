# Building command lines from attribute sets.
{ lib }:
let
  inherit (builtins) isBool isList isString isAttrs isFunction stringLength concatLists typeOf;

  # The text of one option value.
  valueString = fn: name: v:
    if isString v then v
    else if builtins.isInt v || builtins.isFloat v || builtins.isPath v || lib.isDerivation v then toString v
    else if isBool v then lib.boolToString v
    else throw "lib.cli.${fn}: the value of option `${name}' is of type ${typeOf v}, which cannot be rendered as a command-line argument.";

  self = {
    # Legacy interface.
    toGNUCommandLine =
      { mkOptionName ? k: if stringLength k == 1 then "-${k}" else "--${k}"
      , mkBool ? k: v: lib.optional v (mkOptionName k)
      , mkList ? k: v: lib.concatMap (mkOption k) v
      , mkOption ? k: v:
          if v == null then [ ]
          else if optionValueSeparator == null
          then [ (mkOptionName k) (lib.generators.mkValueStringDefault { } v) ]
          else [ "${mkOptionName k}${optionValueSeparator}${lib.generators.mkValueStringDefault { } v}" ]
      , optionValueSeparator ? null
      }:
      options:
      let
        render = k: v:
          if isBool v then mkBool k v
          else if isList v then mkList k v
          else mkOption k v;
      in
      concatLists (lib.mapAttrsToList render options);

    toGNUCommandLineShell = options: attrs:
      lib.escapeShellArgs (self.toGNUCommandLine options attrs);

    # `optionFormat name` returns { option, sep, explicitBool }: `option` is
    # the flag text; `sep` joins flag and value into one argument, or null
    # for two arguments; with `explicitBool` booleans are passed as values
    # "true"/"false", otherwise true is a bare flag and false is left out.
    # null values are left out and lists repeat the option per element.
    toCommandLine = optionFormat: attrs:
      let
        render = name: value:
          let
            fmt = optionFormat name;
            one = v:
              if v == null then [ ]
              else if isBool v && !fmt.explicitBool then lib.optional v fmt.option
              else
                let s = valueString "toCommandLine" name v;
                in if fmt.sep == null then [ fmt.option s ] else [ "${fmt.option}${fmt.sep}${s}" ];
          in
          if isList value then lib.concatMap one value else one value;
      in
      concatLists (lib.mapAttrsToList render attrs);

    toCommandLineShell = optionFormat: attrs:
      lib.escapeShellArgs (self.toCommandLine optionFormat attrs);

    # GNU conventions: one-letter names are short options (`-n3`), longer
    # ones long options (`--name=value`).
    toCommandLineGNU =
      { isLong ? name: stringLength name > 1
      , explicitBool ? false
      }:
      self.toCommandLine (name:
        if isLong name
        then { option = "--${name}"; sep = "="; inherit explicitBool; }
        else { option = "-${name}"; sep = ""; inherit explicitBool; });

    toCommandLineShellGNU = options: attrs:
      lib.escapeShellArgs (self.toCommandLineGNU options attrs);
  };
in
self
