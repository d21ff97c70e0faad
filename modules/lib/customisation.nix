# Overridable function results, callPackage and package scopes.
{ lib }:
let
  inherit (builtins) isAttrs isFunction intersectAttrs attrNames functionArgs mapAttrs;

  self = {
    # Make `f args` overridable: the result (if an attribute set or a
    # function) gains `override`, and `overrideDerivation` /
    # `overrideAttrs` that re-apply after an override.
    makeOverridable = f:
      let mirrorArgs = lib.mirrorFunctionArgs f;
      in mirrorArgs (origArgs:
        let
          result = f origArgs;
          overrideWith = newArgs: origArgs // (if lib.isFunction newArgs then newArgs origArgs else newArgs);
          overrideArgs = mirrorArgs (newArgs: self.makeOverridable f (overrideWith newArgs));
          overrideResult = g: self.makeOverridable (mirrorArgs (args: g (f args))) origArgs;
        in
        if isAttrs result then
          result // {
            override = overrideArgs;
            overrideDerivation = fdrv: overrideResult (x: self.overrideDerivation x fdrv);
            ${if result ? overrideAttrs then "overrideAttrs" else null} =
              fdrv: overrideResult (x: x.overrideAttrs fdrv);
          }
        else if lib.isFunction result then
          lib.setFunctionArgs result (lib.functionArgs result) // { override = overrideArgs; }
        else result);

    overrideDerivation = drv: f:
      let
        newDrv = builtins.derivation (drv.drvAttrs // (f drv));
      in
      lib.flip (self.extendDerivation (builtins.seq drv.drvPath true)) newDrv ({
        meta = drv.meta or { };
        passthru = drv.passthru or { };
      } // (drv.passthru or { }));

    # Call `fn` (a function or a file) with the arguments it asks for taken
    # from autoArgs, overridden by args.
    callPackageWith = autoArgs: fn: args:
      let
        f = if lib.isFunction fn then fn else import fn;
        fargs = lib.functionArgs f;
        allArgs = intersectAttrs fargs autoArgs // args;
        missingArgs = lib.filterAttrs (_: hasDefault: !hasDefault)
          (removeAttrs fargs (attrNames allArgs));
        missing = builtins.head (attrNames missingArgs);
        where = if lib.isFunction fn then "" else " at ${toString fn}";
      in
      if missingArgs == { } then self.makeOverridable f allArgs
      else abort "lib.customisation.callPackageWith: Function called without required argument \"${missing}\"${where}";

    callPackagesWith = autoArgs: fn: args:
      let
        f = if lib.isFunction fn then fn else import fn;
        auto = intersectAttrs (lib.functionArgs f) autoArgs;
        mirrorArgs = lib.mirrorFunctionArgs f;
        origArgs = auto // args;
        pkgs = f origArgs;
        mkAttrOverridable = name: _: self.makeOverridable (mirrorArgs (newArgs: (f newArgs).${name})) origArgs;
      in
      if lib.isDerivation pkgs then
        throw "function `callPackages` was called on a *single* derivation \"${pkgs.name or "<unknown-name>"}\"; did you mean to use `callPackage` instead?"
      else mapAttrs mkAttrOverridable pkgs;

    # Add passthru attributes to a derivation and all its outputs, guarding
    # drvPath/outPath with `condition`.
    extendDerivation = condition: passthru: drv:
      let
        outputs = drv.outputs or [ "out" ];
        commonAttrs = drv // builtins.listToAttrs outputsList // {
          all = map (x: x.value) outputsList;
        } // passthru;
        outputToAttrListElement = outputName: {
          name = outputName;
          value = commonAttrs // {
            inherit (drv.${outputName}) type outputName;
            outputSpecified = true;
            drvPath = assert condition; drv.${outputName}.drvPath;
            outPath = assert condition; drv.${outputName}.outPath;
          };
        };
        outputsList = map outputToAttrListElement outputs;
      in
      commonAttrs // {
        drvPath = assert condition; drv.drvPath;
        outPath = assert condition; drv.outPath;
      };

    hydraJob = drv: drv;

    makeScope = newScope: f:
      let
        scope = f scope // {
          newScope = extra: newScope (scope // extra);
          callPackage = scope.newScope { };
          overrideScope = g: self.makeScope newScope (lib.extends g f);
          packages = f;
        };
      in
      scope;
  };
in
self
