# nix2dream's general Nix library, API-compatible with nixpkgs `lib`.
#
#   lib = import <nix2dream/lib>;
#
# Every sub-library is reachable under its own name (lib.lists,
# lib.strings, ...) and most of their functions are also re-exported at the
# top level, as in nixpkgs. `lib.extend (final: prev: { ... })` returns an
# extended copy.
#
# The module system is assembled here too, from files that may or may not
# exist yet: modules.nix (evalModules and friends) and types.nix
# (lib.types, mkOptionType). Each is `{ lib }: { ... }`; types.nix returns
# the `lib.types` set, which (as in nixpkgs) also carries isType, setType,
# defaultTypeMerge, defaultFunctor, isOptionType and mkOptionType. When the
# files are absent, the names in `moduleNames`/`typeNames` below still
# exist on `lib` but throw when used. The property constructors (mkIf,
# mkMerge, mkOverride, mkDefault, mkForce, mkOrder, ...) come from
# properties.nix unless modules.nix defines its own.
let
  makeExtensibleLib = rattrs:
    let
      self = rattrs self // {
        extend = f: makeExtensibleLib (final:
          let prev = rattrs final;
          in prev // f final prev);
      };
    in
    self;

  libFor = self:
    let
      callLibs = file: import file { lib = self; };
      optionalLibs = file: if builtins.pathExists file then callLibs file else { };

      trivial = callLibs ./trivial.nix;
      lists = callLibs ./lists.nix;
      strings = callLibs ./strings.nix;
      attrsets = callLibs ./attrsets.nix;
      fixedPoints = callLibs ./fixed-points.nix;
      generators = callLibs ./generators.nix;
      versions = callLibs ./versions.nix;
      meta = callLibs ./meta.nix;
      misc = callLibs ./misc.nix;
      options = callLibs ./options.nix;
      asserts = callLibs ./asserts.nix;
      debug = callLibs ./debug.nix;
      cli = callLibs ./cli.nix;
      licenses = callLibs ./licenses.nix;
      properties = callLibs ./properties.nix;
      customisation = callLibs ./customisation.nix;
      derivations = callLibs ./derivations.nix;
      filesystem = callLibs ./filesystem.nix;
      path = callLibs ./path.nix;
      stringsWithDeps = callLibs ./strings-with-deps.nix;

      # Module system (written separately). Without modules.nix,
      # lib.modules still carries the property constructors.
      modules = properties // optionalLibs ./modules.nix;
      types = optionalLibs ./types.nix;

      missing = where: name:
        throw "lib.${name} is part of the module system (${where}), which is not available in this build of nix2dream's lib.";

      # Names re-exported from the module system. The property constructors
      # fall back to properties.nix when modules.nix does not define them.
      moduleNames = [
        "evalModules" "setDefaultModuleLocation" "unifyModuleSyntax"
        "applyModuleArgsIfFunction" "mergeModules" "mergeModules'"
        "mergeOptionDecls" "mergeDefinitions" "pushDownProperties"
        "dischargeProperties" "filterOverrides" "sortProperties"
        "fixupOptionType" "mkAliasDefinitions" "mkAliasAndWrapDefinitions"
        "fixMergeModules" "mkRemovedOptionModule" "mkRenamedOptionModule"
        "mkRenamedOptionModuleWith" "mkMergedOptionModule"
        "mkChangedOptionModule" "mkAliasOptionModule" "mkDerivedConfig"
        "doRename" "mkAliasOptionModuleMD" "mkDefinition"
      ];
      typeNames = [
        "isType" "setType" "defaultTypeMerge" "defaultFunctor"
        "isOptionType" "mkOptionType"
      ];
      fromModules = builtins.listToAttrs (map (name: {
        inherit name;
        value = modules.${name} or (missing "modules.nix" name);
      }) moduleNames)
      // builtins.mapAttrs (name: value: modules.${name} or value) properties;
      fromTypes = builtins.listToAttrs (map (name: {
        inherit name;
        value = types.${name} or (missing "types.nix" name);
      }) typeNames);
    in
    {
      inherit trivial lists strings attrsets fixedPoints generators versions
        meta misc options asserts debug cli licenses customisation derivations
        filesystem path stringsWithDeps;
      inherit modules types;
    }
    // builtins.removeAttrs lists [ "hasPrefix" "removePrefix" "commonPrefix" ]
    // attrsets
    // builtins.removeAttrs strings [ "replicate" ]
    // trivial
    // fixedPoints
    // meta
    // misc
    // options
    // asserts
    // debug
    // customisation
    // derivations
    // stringsWithDeps
    // fromModules
    // fromTypes
    // {
      inherit (filesystem) pathType pathIsDirectory pathIsRegularFile packagesFromDirectoryRecursive;

      # Placeholder hashes for fixed-output derivations.
      fakeHash = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
      fakeSha256 = "0000000000000000000000000000000000000000000000000000";
      fakeSha512 = "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000";
      inherit (versions) splitVersion;
    };
in
makeExtensibleLib libFor
