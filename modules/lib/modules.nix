# The module system: evalModules and the machinery behind it (collecting
# and de-duplicating modules, merging option declarations, discharging
# mkIf/mkMerge/mkOverride/mkOrder properties, merging definitions through
# option types), plus the option-renaming helpers.
#
# Behaviour, ordering and error messages follow nixpkgs' lib/modules.nix.
# Notable ordering facts:
#   - modules are collected breadth-first (builtins.genericClosure) and
#     then merged in *reverse* order, so definitions of an option appear
#     "later module first";
#   - within one option, definitions are filtered by priority (mkOverride)
#     before they are sorted by mkOrder (a stable sort).
{ lib }:
let
  inherit (builtins)
    isAttrs isBool isList isString
    all any attrNames concatLists concatMap elem filter foldl' genericClosure
    head length map mapAttrs removeAttrs seq sort typeOf
    addErrorContext unsafeGetAttrPos zipAttrsWith catAttrs;

  inherit (lib.trivial) warnIf throwIfNot;
  inherit (lib.lists) imap1 reverseList optional last init take;
  inherit (lib.strings) hasPrefix isConvertibleWithToString escapeNixString
    concatStringsSep optionalString levenshtein;
  inherit (lib.attrsets) mapAttrsRecursiveCond recursiveUpdate setAttrByPath
    getAttrFromPath attrByPath optionalAttrs mapAttrsToList;
  inherit (lib.options) mkOption isOption showOption showFiles showDefs
    unknownModule;

  types = lib.types;
  props = import ./properties.nix { inherit lib; };

  inherit (props)
    mkIf mkMerge mkOverride mkOptionDefault mkDefault defaultOverridePriority
    defaultOrderPriority;

  # The options of the internal module of every evaluation. They do not
  # depend on the evaluation (except that `_module.args` is documented at
  # the root only), so they are built once.
  internalOptions = isRoot: {
    _module.args = mkOption {
      # Lazy in its values: an argument nobody asks for is never computed.
      type = types.lazyAttrsOf types.raw;
      # Documented once, at the root of an option tree.
      ${if isRoot then null else "internal"} = true;
      description = ''
        Additional arguments passed to each module in addition to ones
        like `lib`, `config`,
        and `pkgs`, `modulesPath`.

        This option is also available to all submodules. Submodules do not
        inherit args from their parent module, nor do they provide args to
        their parent module or sibling submodules. The sole exception to
        this is the argument `name` which is provided by
        parent modules to a submodule and contains the attribute name
        the submodule is bound to, or a unique generated name if it is
        not bound to an attribute.

        Some arguments are already passed by default, of which the
        following *cannot* be changed with this option:
        - {var}`lib`: The nixpkgs library.
        - {var}`config`: The results of all options after merging the values from all modules together.
        - {var}`options`: The options declared in all modules.
        - {var}`specialArgs`: The `specialArgs` argument passed to `evalModules`.
        - All attributes of {var}`specialArgs`

          Whereas option values can generally depend on other option values
          thanks to laziness, this does not apply to `imports`, which
          must be computed statically before anything else.

          For this reason, callers of the module system can provide `specialArgs`
          which are available during import resolution.
      '';
    };

    _module.check = mkOption {
      type = types.bool;
      internal = true;
      default = true;
      description = "Whether to check whether all option definitions have matching declarations.";
    };

    _module.freeformType = mkOption {
      type = types.nullOr types.optionType;
      internal = true;
      default = null;
      description = ''
        If set, merge all definitions that don't have an associated option
        together using this type. The result then gets combined with the
        values of all declared options to produce the final `
        config` value.

        If this is `null`, definitions without an option
        will throw an error unless {option}`_module.check` is
        turned off.
      '';
    };

    _module.specialArgs = mkOption {
      readOnly = true;
      internal = true;
      description = ''
        Externally provided module arguments that can't be modified from
        within a configuration, but can be used in module imports.
      '';
    };
  };
  internalOptionsRoot = internalOptions true;
  internalOptionsNested = internalOptions false;

  # ------------------------------------------------------------------ evalModules

  # ---- shared by evalModulesNix and the native evalModules

  internalOptionsFor = prefix: if prefix == [ ] then internalOptionsRoot else internalOptionsNested;

  configArgumentContext = "if you get an infinite recursion here, you probably reference `config` in `imports`. If you are trying to achieve a conditional import behavior dependent on `config`, consider importing unconditionally, and using `mkEnableOption` and `mkIf` to control its effect.";

  extendModulesFor = evalModulesArgs:
    extendArgs@{
      modules ? [ ],
      specialArgs ? { },
      prefix ? [ ],
    }:
    evalModules (evalModulesArgs // {
      modules = evalModulesArgs.modules ++ modules;
      specialArgs = evalModulesArgs.specialArgs or { } // specialArgs;
      prefix = extendArgs.prefix or evalModulesArgs.prefix or [ ];
    });

  moduleTypeFor = modules: specialArgs: class: types.submoduleWith {
    inherit modules specialArgs class;
  };

  # The declared options' values, with the definitions that have no option
  # merged by the freeform type filling the paths without an option.
  withFreeformConfig = prefix: declaredConfig: unmatchedDefns:
    let
      defs = map (def: {
        file = def.file;
        value = setAttrByPath def.prefix def.value;
      }) unmatchedDefns;
      freeformConfig =
        if defs == [ ] then { } else declaredConfig._module.freeformType.merge prefix defs;
    in
    recursiveUpdate freeformConfig declaredConfig;

  # A definition of an option that does not exist (with `_module.check`).
  unmatchedError = prefix: options: unmatchedDefns:
    let
      firstDef = head unmatchedDefns;
      optText = showOption (prefix ++ firstDef.prefix);
      defText =
        addErrorContext
          "while evaluating the error message for definitions for `${optText}', which is an option that does not exist"
          (addErrorContext "while evaluating a definition from `${firstDef.file}'" (showDefs [ firstDef ]));
      baseMsg = "The option `${optText}' does not exist. Definition values:${defText}";
      hint = suggestionText prefix options firstDef.prefix;
    in
    if attrNames options == [ "_module" ] then
      # Nothing but the built-in `_module` options is declared.
      if showOption prefix == "" then
        throw ''
          ${baseMsg}

          It seems as if you're trying to declare an option by placing it into `config' rather than `options'!
        ''
      else
        throw ''
          ${baseMsg}

          However there are no options defined in `${showOption prefix}'. Are you sure you've
          declared your options properly? This can happen if you e.g. declared your options in `types.submodule'
          under `config' rather than `options'.
        ''
    else
      throw (baseMsg + hint);

  # Under nix2dream the evaluation itself is native (native/); the
  # deprecated `args`/`check` arguments take the Nix path below.
  evalModules =
    evalModulesArgs@{
      modules,
      prefix ? [ ],
      # Deprecated: use _module.args.
      args ? { },
      # Deprecated: use _module.check.
      check ? true,
      specialArgs ? { },
      class ? null,
    }:
    if native != null && !(evalModulesArgs ? args) && !(evalModulesArgs ? check)
    then native.evalModules evalModulesArgs modules prefix specialArgs class
    else evalModulesNix evalModulesArgs modules prefix args check specialArgs class;

  # The reference implementation, with evalModules' arguments (defaults
  # applied) passed positionally.
  evalModulesNix = evalModulesArgs: modules: prefix: args: check: specialArgs: class:
    let
      withWarnings = x:
        warnIf (evalModulesArgs ? args)
          "The args argument to evalModules is deprecated. Please set config._module.args instead."
          (warnIf (evalModulesArgs ? check)
            "The check argument to evalModules is deprecated. Please set config._module.check instead."
            x);

      legacyModules =
        optional (evalModulesArgs ? args) { config = { _module.args = args; }; }
        ++ optional (evalModulesArgs ? check) { config = { _module.check = mkDefault check; }; };

      regularModules = modules ++ legacyModules;

      # Options under `_module` steer the interpretation of the other modules.
      internalModule = {
        _file = "lib/modules.nix";
        key = "lib/modules.nix";
        options = internalOptionsFor prefix;
        config = {
          _module.args = {
            inherit extendModules;
            moduleType = type;
          };
          _module.specialArgs = specialArgs;
        };
      };

      # What every module function may ask for (besides _module.args).
      moduleArgs = {
        inherit lib options specialArgs;
        _class = class;
        _prefix = prefix;
        config = addErrorContext configArgumentContext config;
      } // specialArgs;

      collected = collectModulesWithGraph class (specialArgs.modulesPath or "")
        (regularModules ++ [ internalModule ]) moduleArgs;

      merged = mergeModules prefix (reverseList collected.modules);

      options = merged.matchedOptions;

      config =
        let
          # Values of all declared options.
          declaredConfig = mapAttrsRecursiveCond (v: !isOption v) (_: v: v.value) options;

        in
        if declaredConfig._module.freeformType == null then declaredConfig
        else withFreeformConfig prefix declaredConfig merged.unmatchedDefns;

      checkUnmatched =
        if config._module.check && config._module.freeformType == null && merged.unmatchedDefns != [ ] then
          unmatchedError prefix options merged.unmatchedDefns
        else
          null;

      checked = seq checkUnmatched;

      extendModules = extendModulesFor (evalModulesArgs // { modules = regularModules; });

      type = moduleTypeFor modules specialArgs class;

      result = withWarnings {
        _type = "configuration";
        options = checked options;
        config = checked (removeAttrs config [ "_module" ]);
        _module = checked config._module;
        inherit (collected) graph;
        inherit extendModules type class;
      };
    in
    result;

  # "Did you mean ...?" for an undeclared option: the closest names among
  # the options declared next to it.
  suggestionText = prefix: options: defPrefix:
    let
      name = last defPrefix;
      siblings = attrByPath (init defPrefix) { } options;
      candidates =
        if isAttrs siblings && !isOption siblings
        then filter (n: n != "_module") (attrNames siblings)
        else [ ];
      scored = filter (c: c.distance <= 3)
        (map (n: { inherit n; distance = levenshtein name n; }) candidates);
      best = take 3 (sort (a: b: a.distance < b.distance) scored);
      shown = map (c: "`${showOption (prefix ++ init defPrefix ++ [ c.n ])}'") best;
      count = length shown;
      listed =
        if count == 1 then head shown
        else concatStringsSep ", " (lib.lists.init shown) + " or " + last shown;
    in
    if count == 0 then "" else "\n\nDid you mean ${listed}?";

  # ------------------------------------------------------------------ collecting

  # Collects all modules reachable through `imports`, drops the disabled
  # ones and de-duplicates by key. Returns { modules; graph; }.
  collectModulesWithGraphNix = class:
    let
      loadModule = args: fallbackFile: fallbackKey: m:
        if lib.isFunction m then
          unifyModuleSyntax fallbackFile fallbackKey (applyModuleArgs fallbackKey m args)
        else if isAttrs m then
          if m._type or "module" == "module" then
            unifyModuleSyntax fallbackFile fallbackKey m
          else if m._type == "if" || m._type == "override" then
            loadModule args fallbackFile fallbackKey { config = m; }
          else
            notAModuleError class fallbackFile m
        else if isList m then
          nestedListError fallbackFile m
        else
          unifyModuleSyntax (toString m) (toString m)
            (applyModuleArgsIfFunction (toString m) (import m) args);

      checkModule =
        if class != null then
          m:
          if m._class == null || m._class == class then m
          else classError class m
        else
          m: m;

      # { disabled = [ { file; disabled; } ]; modules = [ { key; module; modules; disabled; } ]; }
      collectStructured = parentFile: parentKey: initialModules: args:
        let
          entries = imap1 (n: x:
            let
              module = checkModule (loadModule args parentFile "${parentKey}:anon-${toString n}" x);
              sub = collectStructured module._file module.key module.imports args;
            in
            {
              key = module.key;
              inherit module;
              modules = sub.modules;
              disabled =
                (if module.disabledModules != [ ]
                 then [ { file = module._file; disabled = module.disabledModules; } ]
                 else [ ])
                ++ sub.disabled;
            }) initialModules;
        in
        {
          disabled = concatLists (catAttrs "disabled" entries);
          modules = entries;
        };

    in
    modulesPath: initialModules: args:
    let
      structured = collectStructured unknownModule "" initialModules args;
      disabledKeys = disabledKeysOf modulesPath structured.disabled;
      keep = filter (attrs: !elem attrs.key disabledKeys);
    in
    {
      modules = map (attrs: attrs.module) (genericClosure {
        startSet = keep structured.modules;
        operator = attrs: keep attrs.modules;
      });
      graph = moduleGraph structured.modules disabledKeys;
    };

  collectModulesWithGraph = fromNative "collectModulesWithGraph" collectModulesWithGraphNix;

  # ---- collecting: shared by the Nix code above and the native code

  # The keys of the modules that `disabledModules` lists, in order.
  disabledKeysOf = modulesPath: disabled:
    let
      moduleKey = file: m:
        if isString m && !hasPrefix "/" m then
          toString modulesPath + "/" + m
        else if isConvertibleWithToString m then
          if m ? key && m.key != toString m then
            throw "Module `${file}` contains a disabledModules item that is an attribute set that can be converted to a string (${toString m}) but also has a `.key` attribute (${m.key}) with a different value. This makes it ambiguous which module should be disabled."
          else
            toString m
        else if m ? key then
          m.key
        else if isAttrs m then
          throw "Module `${file}` contains a disabledModules item that is an attribute set, presumably a module, that does not have a `key` attribute. This means that the module system doesn't have any means to identify the module that should be disabled. Make sure that you've put the correct value in disabledModules: a string path relative to modulesPath, a path value, or an attribute set with a `key` attribute."
        else
          throw "Each disabledModules item must be a path, string, or a attribute set with a key attribute, or a value supported by toString. However, one of the disabledModules items in `${toString file}` is none of that, but is of type ${typeOf m}.";
    in
    concatMap ({ file, disabled }: map (moduleKey file) disabled) disabled;

  moduleGraph = structuredModules: disabledKeys:
    let
      toGraph = s: {
        disabled = elem s.key disabledKeys;
        inherit (s) key;
        file = s.module._file;
        imports = map toGraph s.modules;
      };
    in
    map toGraph (filter (s: s.key != "lib/modules.nix") structuredModules);

  nestedListError = fallbackFile: m:
    throw "Module imports can't be nested lists. Perhaps you meant to remove one level of lists? Definitions: ${showDefs [ { file = fallbackFile; value = m; } ]}";

  classError = class: m:
    throw ''
      The module `${m._file or m.key}` (class: ${escapeNixString m._class}) cannot be imported into a module evaluation that expects class ${escapeNixString class}.

      Help:
      - Ensure that you are importing the correct module.
      - Verify that the module's `_class`, ${escapeNixString m._class} matches the expected `class` ${escapeNixString class}.
      - If you are using a custom class, make sure it is correctly defined and used consistently across your modules.
    '';

  notAModuleError = class: fallbackFile: m:
    throw (notAModuleMessage {
      inherit fallbackFile;
      value = m;
      _type = m._type;
      expectedClass = class;
    });

  collectModules = class: modulesPath: initialModules: args:
    (collectModulesWithGraph class modulesPath initialModules args).modules;

  notAModuleMessage = { fallbackFile, value, _type, expectedClass ? null }:
    let
      inFile = optionalString (fallbackFile != unknownModule) ", in file ${toString fallbackFile}";
    in
    if _type == "configuration" then
      ''
        Could not load a value as a module, because it is of type ${escapeNixString _type}${inFile}.${
          optionalString (isAttrs value && value ? class && value.class != null && expectedClass != null && value.class != expectedClass)
            "\nThis configuration is of class ${escapeNixString value.class}, but the module evaluation expects class ${escapeNixString expectedClass}."}
        If you really mean to import this configuration, instead please only import the modules that make up the configuration.
        You may have to create a `let` binding, file or attribute to give yourself access to the relevant modules.
        While loading a configuration into the module system is a very sensible idea, it can not be done cleanly in practice.
      ''
    else
      ''
        Could not load a value as a module, because it is of type ${escapeNixString _type}${inFile}.
      '';

  explicitModuleAttrs = [
    "_class" "_file" "key" "disabledModules" "imports" "options" "config" "meta" "freeformType"
  ];

  unsupportedAttributeError = key: m:
    let badAttrs = removeAttrs m explicitModuleAttrs; in
    throw "Module `${key}' has an unsupported attribute `${head (attrNames badAttrs)}'. This is caused by introducing a top-level `config' or `options' attribute. Add configuration attributes immediately on the top level instead, or move all of them (namely: ${toString (attrNames badAttrs)}) into the explicit `config' attribute.";

  notLikeAModuleError = file: key: m: throw "module ${file} (${key}) does not look like a module.";

  # Bring a module into canonical form:
  #   { _file; _class; key; disabledModules; imports; options; config; }
  unifyModuleSyntax = file: key: m:
    let
      addMeta = config:
        if m ? meta then mkMerge [ config { meta = m.meta; } ] else config;
      addFreeformType = config:
        if m ? freeformType then mkMerge [ config { _module.freeformType = m.freeformType; } ] else config;
    in
    if m ? config || m ? options then
      let
        badAttrs = removeAttrs m explicitModuleAttrs;
      in
      if badAttrs != { } then
        unsupportedAttributeError key m
      else
        {
          _file = toString m._file or file;
          _class = m._class or null;
          key = toString m.key or key;
          disabledModules = m.disabledModules or [ ];
          imports = m.imports or [ ];
          options = m.options or { };
          config = addFreeformType (addMeta (m.config or { }));
        }
    else
      # Shorthand: everything that is not module structure is config.
      if !isAttrs m then notLikeAModuleError file key m else {
        _file = toString m._file or file;
        _class = m._class or null;
        key = toString m.key or key;
        disabledModules = m.disabledModules or [ ];
        imports = m.require or [ ] ++ m.imports or [ ];
        options = { };
        config = addFreeformType (removeAttrs m [
          "_class" "_file" "key" "disabledModules" "require" "imports" "freeformType"
        ]);
      };

  applyModuleArgsIfFunction = key: f: args@{ config, ... }:
    if lib.isFunction f then applyModuleArgs key f args else f;

  # Call a module function. Its arguments are looked up by name, lazily:
  # first in `args` (lib, config, options, specialArgs, ...), then in
  # config._module.args. Defaults in the function's pattern never apply.
  applyModuleArgs = key: f: args@{ config, ... }:
    let
      context = name: ''while evaluating the module argument `${name}' in "${key}":'';
      extraArgs = mapAttrs
        (name: _: addErrorContext (context name) (args.${name} or config._module.args.${name}))
        (lib.functionArgs f);
    in
    f (args // extraArgs);

  # ---- shared by the Nix code below and the native code (crates/nix2dream-modules/src/native)

  # A namespace of options declared next to a submodule option becomes
  # a submodule option too, so that both merge.
  optionTreeToOption = decl:
    if isOption decl.options then decl
    else decl // {
      options = mkOption {
        type = types.submoduleWith {
          modules = [ { options = decl.options; } ];
          # "whatever the other declarations say"
          shorthandOnlyDefinesConfig = null;
        };
      };
    };

  # An option declared both as an option and as a namespace of options:
  # fine when every option declaration is a submodule, an error otherwise.
  mixedDeclarations = loc: decls: defns: defns':
    let
      optionDecls = filter (m: isOption m.options) decls;
    in
    if all (x: x.options.type.name or null == "submodule") optionDecls then
      let opt = fixupOptionType loc (mergeOptionDecls loc (map optionTreeToOption decls));
      in {
        matchedOptions = evalOptionValue loc opt defns';
        unmatchedDefns = [ ];
      }
    else
      let nonOptions = filter (m: !isOption m.options) decls;
      in
      throw "The option `${showOption loc}' in module `${(head optionDecls)._file}' would be a parent of the following options, but its type `${(head optionDecls).options.type.description or "<no description>"}' does not support nested options.\n${showRawDeclarations loc nonOptions}";

  optionsNotASetError = prefix: subtree:
    throw ''
      An option declaration for `${concatStringsSep "." prefix}' has type
      `${typeOf subtree}' rather than an attribute set.
      Did you mean to define this outside of `options'?
    '';

  configNotASetError = prefix: c:
    throw ''
      In module `${c.file}', you're trying to define a value of type `${typeOf c.config}'
      rather than an attribute set for the option
      `${concatStringsSep "." prefix}'!

      This usually happens if `${concatStringsSep "." prefix}' has option
      definitions inside that are not matched. Please check how to properly define
      this option by e.g. referring to `man 5 configuration.nix'!
    '';

  noValueError = loc:
    throw "The option `${showOption loc}' was accessed but has no value defined. Try setting the option.";

  headTypeError = loc: type: headError:
    throw "A definition for option `${showOption loc}' is not of type `${type.description}'. TypeError: ${headError.message}";

  defsTypeError = loc: type: invalid:
    throw "A definition for option `${showOption loc}' is not of type `${type.description}'. Definition values:${showDefs invalid}";

  readOnlyError = loc: type: defs:
    let
      # Show each definition as if it were the only one.
      separateDefs = map (def: def // {
        value = (mergeDefinitions loc type [ def ]).mergedValue;
      }) defs;
    in
    throw "The option `${showOption loc}' is read-only, but it's set multiple times. Definition values:${showDefs separateDefs}";

  warnDeprecation = loc: opt:
    warnIf (opt.type.deprecationMessage or null != null)
      "The type `types.${opt.type.name}' of option `${showOption loc}' defined in ${showFiles opt.declarations} is deprecated. ${opt.type.deprecationMessage}";

  # Under nix2dream, the per-option work of the module system runs natively
  # (crates/nix2dream-modules); this file stays the reference implementation,
  # and the one nix-instantiate runs. The native code calls these helpers
  # for what is rare: error messages, warnings, merged declarations.
  native =
    if builtins ? __nix2dreamModules then
      builtins.__nix2dreamModules {
        inherit showOption checkV2MergeCoherence mergeOptionDecls mixedDeclarations
          optionsNotASetError configNotASetError noValueError headTypeError
          defsTypeError readOnlyError warnDeprecation;
        inherit unknownModule disabledKeysOf moduleGraph nestedListError classError
          notAModuleError unsupportedAttributeError notLikeAModuleError;
        inherit (lib.options) mergeEqualOption;
        inherit showDefs lib internalOptionsRoot internalOptionsNested configArgumentContext extendModulesFor moduleTypeFor
          withFreeformConfig unmatchedError;
        inherit (lib) functionArgs;
        importModule = m: import m;
        declarationTypeError = throwDeclarationTypeError;
        unspecified = types.unspecified;
      }
    else null;
  fromNative = name: nixVersion: if native == null then nixVersion else native.${name};

  mergeModules = fromNative "mergeModules" mergeModulesNix;
  mergeModules' = fromNative "mergeModules'" mergeModulesNix';
  evalOptionValue = fromNative "evalOptionValue" evalOptionValueNix;
  mergeDefinitions = fromNative "mergeDefinitions" mergeDefinitionsNix;
  pushDownProperties = fromNative "pushDownProperties" pushDownPropertiesNix;
  dischargeProperties = fromNative "dischargeProperties" dischargePropertiesNix;
  filterOverrides' = fromNative "filterOverrides'" filterOverridesNix';
  sortProperties = fromNative "sortProperties" sortPropertiesNix;

  # ------------------------------------------------------------------ merging


  # Merge a list of (canonical) modules: returns
  #   { matchedOptions = <option tree with values>;
  #     unmatchedDefns = [ { file; value; prefix; } ]; }
  mergeModulesNix = prefix: modules:
    mergeModules' prefix modules
      (concatMap (m: map (config: { file = m._file; inherit config; }) (pushDownProperties m.config)) modules);

  mergeModulesNix' = prefix: modules: configs:
    let
      # name => declarations of `name` (or of options below it)
      declsByName = zipAttrsWith (n: concatLists) (map (module:
        let subtree = module.options; in
        if !isAttrs subtree then optionsNotASetError prefix subtree
        else
          mapAttrs (n: option: [ {
            inherit (module) _file;
            pos = unsafeGetAttrPos n subtree;
            options = option;
          } ]) subtree) modules);

      # Every definition root must be an attribute set.
      checkedConfigs =
        assert all (c: isAttrs c.config || configNotASetError prefix c) configs;
        configs;

      # name => definitions below `name`, properties pushed down one level
      pushedDownDefinitionsByName = zipAttrsWith (n: concatLists) (map (module:
        mapAttrs (n: value:
          map (config: { inherit (module) file; inherit config; }) (pushDownProperties value))
          module.config) checkedConfigs);

      # name => definitions of `name` as written
      rawDefinitionsByName = zipAttrsWith (n: concatLists) (map (module:
        mapAttrs (n: value: [ { inherit (module) file; inherit value; } ]) module.config)
        checkedConfigs);

      resultsByName = mapAttrs (name: decls:
        let
          loc = prefix ++ [ name ];
          defns = pushedDownDefinitionsByName.${name} or [ ];
          defns' = rawDefinitionsByName.${name} or [ ];
          optionDecls = filter (m:
            m.options ? _type
            && (m.options._type == "option" || throwDeclarationTypeError loc m.options._type m._file)) decls;
        in
        if length optionDecls == length decls then
          let opt = fixupOptionType loc (mergeOptionDecls loc decls);
          in {
            matchedOptions = evalOptionValue loc opt defns';
            unmatchedDefns = [ ];
          }
        else if optionDecls != [ ] then
          mixedDeclarations loc decls defns defns'
        else
          mergeModules' loc decls defns) declsByName;

      matchedOptions = mapAttrs (n: v: v.matchedOptions) resultsByName;

      # name => definitions that found no option
      unmatchedDefnsByName =
        mapAttrs (n: v: v.unmatchedDefns) resultsByName
        // removeAttrs rawDefinitionsByName (attrNames matchedOptions);
    in
    {
      inherit matchedOptions;
      unmatchedDefns =
        if configs == [ ] then [ ]
        else concatLists (mapAttrsToList (name: defs:
          map (def: def // { prefix = [ name ] ++ (def.prefix or [ ]); }) defs) unmatchedDefnsByName);
    };

  throwDeclarationTypeError = loc: actualTag: file:
    let
      name = lib.strings.escapeNixIdentifier (last loc);
      path = showOption loc;
      comment = optionalString (length loc > 1) "\n    # ${showOption loc}";
      paragraphs = [
        "In module ${file}: expected an option declaration at option path `${path}` but got an attribute set with type ${actualTag}"
      ] ++ optional (actualTag == "option-type") ''
        When declaring an option, you must wrap the type in a `mkOption` call. It should look somewhat like:
            ${comment}
            ${name} = lib.mkOption {
              description = ...;
              type = <the type you wrote for ${name}>;
              ...
            };
      '';
    in
    throw (concatStringsSep "\n\n" paragraphs);

  showRawDeclarations = loc: decls:
    concatStringsSep "\n"
      (sort (a: b: a < b)
        (concatMap (decl: map (subpath: "  - option(s) with prefix `${showOption (loc ++ [ subpath ])}' in module `${decl._file}'")
          (attrNames decl.options)) decls));

  # Merge the declarations of one option. Declarations combine unless two
  # of them set default/example/description/apply, or their types do not
  # merge.
  mergeOptionDecls = loc: opts:
    if length opts == 1 then
      # The common case, without the fold: the same record as below.
      let
        opt = head opts;
        getSubModules = opt.options.type.getSubModules or null;
      in
      opt.options // {
        inherit loc;
        declarations = [ opt._file ];
        declarationPositions =
          if opt.pos or null != null then [ opt.pos ]
          else [ { file = opt._file; line = null; column = null; } ];
        options =
          if getSubModules != null
          then map (setDefaultModuleLocation opt._file) getSubModules
          else [ ];
      }
    else
    foldl' (res: opt:
      let
        t = res.type;
        t' = opt.options.type;
        mergedType = t.typeMerge t'.functor;
        typesMergeable = mergedType != null;
        typeSet =
          if opt.options ? type then
            if res ? type then
              if typesMergeable then { type = mergedType; }
              else throw "The option `${showOption loc}' in `${opt._file}' is already declared in ${showFiles res.declarations}."
            else { }
          else { };
        bothHave = k: opt.options ? ${k} && res ? ${k};
      in
      if bothHave "default" || bothHave "example" || bothHave "description" || bothHave "apply"
        || (bothHave "type" && !typesMergeable)
      then
        throw "The option `${showOption loc}' in `${opt._file}' is already declared in ${showFiles res.declarations}."
      else
        let
          getSubModules = opt.options.type.getSubModules or null;
          submodules =
            if getSubModules != null
            then map (setDefaultModuleLocation opt._file) getSubModules ++ res.options
            else res.options;
        in
        opt.options // res // {
          declarations = res.declarations ++ [ opt._file ];
          # Without a position (generated declarations) only the file is known.
          declarationPositions = res.declarationPositions
            ++ (if opt.pos or null != null then [ opt.pos ]
                else [ { file = opt._file; line = null; column = null; } ]);
          options = submodules;
        } // typeSet)
      { inherit loc; declarations = [ ]; declarationPositions = [ ]; options = [ ]; }
      opts;

  # Merge the definitions of an option (plus its default) into its value.
  evalOptionValueNix = loc: opt: defs:
    let
      type = opt.type;
      defs' =
        (optional (opt ? default) { file = head opt.declarations; value = mkOptionDefault opt.default; })
        ++ defs;

      res =
        if opt.readOnly or false && length defs' > 1 then
          readOnlyError loc type defs'
        else
          mergeDefinitions loc type defs';

      # Without any definition, a type with an empty value (lists, attribute
      # sets, nullOr, submodules) yields that value, merged like a default.
      mergedValue =
        if !res.isDefined && type.emptyValue ? value then
          (mergeDefinitions loc type [ {
            file = head opt.declarations;
            value = type.emptyValue.value;
          } ]).mergedValue
        else
          res.mergedValue;

      value = if opt ? apply then opt.apply mergedValue else mergedValue;

    in
    warnDeprecation loc opt opt // {
      value = addErrorContext "while evaluating the option `${showOption loc}':" value;
      inherit (res.defsFinal') highestPrio;
      definitions = map (def: def.value) res.defsFinal;
      files = map (def: def.file) res.defsFinal;
      definitionsWithLocations = res.defsFinal;
      inherit (res) isDefined;
      inherit (res.checkedAndMerged) valueMeta;
      # "${options.a.b}" shows the option's name.
      __toString = _: showOption loc;
    };

  # Merge definitions [ { file; value; } ] of an option at `loc` with `type`.
  mergeDefinitionsNix = loc: type: defs: rec {
    defsFinal' =
      let
        # Discharge mkMerge and mkIf.
        defs' = concatMap (m:
          map (value:
            if value._type or null == "definition" then value
            else { inherit (m) file; inherit value; })
            (addErrorContext "while evaluating definitions from `${m.file}':" (dischargeProperties m.value)))
          defs;

        # Keep the definitions of the highest priority (mkOverride).
        defs'' = filterOverrides' defs';

        # Sort by mkOrder, only when some definition asks for it.
        defs''' =
          if any (def: def.value._type or "" == "order") defs''.values
          then sortProperties defs''.values
          else defs''.values;
      in
      {
        values = defs''';
        inherit (defs'') highestPrio;
      };

    defsFinal = defsFinal'.values;

    # Types with a `merge.v2` type-check and merge in one pass and report a
    # "head error".
    useV2 = type.merge ? v2;

    mergedValue =
      if isDefined then
        if useV2 then
          if checkedAndMerged.headError or null != null then
            headTypeError loc type checkedAndMerged.headError
          else
            checkedAndMerged.value
        else if all (def: type.check def.value) defsFinal then
          type.merge loc defsFinal
        else
          let allInvalid = filter (def: !type.check def.value) defsFinal;
          in
          defsTypeError loc type allInvalid
      else
        noValueError loc;

    checkedAndMerged =
      if useV2 then
        let r = checkV2MergeCoherence loc type (type.merge.v2 { inherit loc; defs = defsFinal; });
        in r // { valueMeta = (r.valueMeta or { }) // { _internal = { inherit type; }; }; }
      else
        {
          headError = null;
          value = mergedValue;
          valueMeta = { };
        };

    isDefined = defsFinal != [ ];

    optionalValue = if isDefined then { value = mergedValue; } else { };
  };

  # A v2 merge only goes with the check it was written for; a type whose
  # check was replaced with `//` is rejected (use types.addCheck).
  checkV2MergeCoherence = loc: type: result:
    if type.check.isV2MergeCoherent or false then result
    else
      throw ''
        The option `${showOption loc}' has a type `${type.description}' that uses
        an ad-hoc `type // { check = ...; }' override, which is incompatible with
        the v2 merge mechanism.

        Please use `lib.types.addCheck` instead of `type // { check }' to add
        custom validation. For example:

          lib.types.addCheck baseType (value: /* your check */)

        instead of:

          baseType // { check = value: /* your check */; }
      '';

  # Push mkMerge/mkIf/mkOverride on an attribute set down to its attributes:
  #   mkIf c { a = 1; b = 2; }  =>  [ { a = mkIf c 1; b = mkIf c 2; } ]
  pushDownPropertiesNix = cfg:
    if cfg._type or "" == "merge" then
      concatMap pushDownProperties cfg.contents
    else if cfg._type or "" == "if" then
      map (mapAttrs (n: v: mkIf cfg.condition v)) (pushDownProperties cfg.content)
    else if cfg._type or "" == "override" then
      map (mapAttrs (n: v: mkOverride cfg.priority v)) (pushDownProperties cfg.content)
    else
      [ cfg ];

  # Resolve mkMerge and mkIf in one definition, giving a list of values.
  dischargePropertiesNix = def:
    if def._type or "" == "merge" then
      concatMap dischargeProperties def.contents
    else if def._type or "" == "if" then
      if isBool def.condition then
        if def.condition then dischargeProperties def.content else [ ]
      else
        throw "‘mkIf’ called with a non-Boolean condition"
    else
      [ def ];

  filterOverrides = defs: (filterOverrides' defs).values;

  filterOverridesNix' = defs:
    let
      getPrio = def:
        if def.value._type or "" == "override" then def.value.priority else defaultOverridePriority;
      highestPrio = foldl' (prio: def: lib.trivial.min (getPrio def) prio) 9999 defs;
      strip = def:
        if def.value._type or "" == "override" then def // { value = def.value.content; } else def;
    in
    {
      values = concatMap (def: if getPrio def == highestPrio then [ (strip def) ] else [ ]) defs;
      inherit highestPrio;
    };

  # Stable sort of definitions by their mkOrder priority (default 1000).
  sortPropertiesNix = defs:
    let
      strip = def:
        if def.value._type or "" == "order"
        then def // { value = def.value.content; inherit (def.value) priority; }
        else def;
      defs' = map strip defs;
      compare = a: b: (a.priority or defaultOrderPriority) < (b.priority or defaultOrderPriority);
    in
    sort compare defs';

  # Give submodule types the modules collected from all declarations.
  fixupOptionType = loc: opt:
    if opt.type.getSubModules or null == null
    then opt // { type = opt.type or types.unspecified; }
    else opt // { type = opt.type.substSubModules opt.options; options = [ ]; };

  # Old interface, kept for compatibility.
  fixMergeModules = modules: args:
    evalModules { inherit modules args; check = false; };

  setDefaultModuleLocation = file: m: {
    _file = file;
    imports = [ m ];
  };

  # `import modulePath staticArg`, remembering the file for error messages.
  importApply = modulePath: staticArg:
    setDefaultModuleLocation modulePath (import modulePath staticArg);

  mkDefinition = args@{ file, value, ... }: args // { _type = "definition"; };

  # ------------------------------------------------------------------ aliases

  mkAliasDefinitions = mkAliasAndWrapDefinitions lib.trivial.id;

  mkAliasAndWrapDefinitions = wrap: option:
    mkAliasIfDef option (wrap (mkMerge option.definitions));

  # Like mkAliasAndWrapDefinitions, keeping the priority of the definitions.
  mkAliasAndWrapDefsWithPriority = wrap: option:
    let
      prio = option.highestPrio or defaultOverridePriority;
      defsWithPrio = map (mkOverride prio) option.definitions;
    in
    mkAliasIfDef option (wrap (mkMerge defsWithPrio));

  mkAliasIfDef = option: mkIf (isOption option && option.isDefined);

  mkRemovedOptionModule = optionName: replacementInstructions:
    { options, ... }:
    {
      options = setAttrByPath optionName (mkOption {
        visible = false;
        apply = x: throw "The option `${showOption optionName}' can no longer be used since it's been removed. ${replacementInstructions}";
      });
      config.assertions =
        let opt = getAttrFromPath optionName options;
        in [ {
          assertion = !opt.isDefined;
          message = ''
            The option definition `${showOption optionName}' in ${showFiles opt.files} no longer has any effect; please remove it.
            ${replacementInstructions}
          '';
        } ];
    };

  mkRenamedOptionModule = from: to:
    doRename {
      inherit from to;
      visible = false;
      warn = true;
      use = builtins.trace "Obsolete option `${showOption from}' is used. It was renamed to `${showOption to}'.";
    };

  mkRenamedOptionModuleWith = { from, to, sinceRelease }:
    doRename {
      inherit from to;
      visible = false;
      warn = lib.trivial.oldestSupportedReleaseIsAtLeast sinceRelease;
      use = warnIf (lib.trivial.oldestSupportedReleaseIsAtLeast sinceRelease)
        "Obsolete option `${showOption from}' is used. It was renamed to `${showOption to}'.";
    };

  mkMergedOptionModule = from: to: mergeFn:
    { config, options, ... }:
    {
      options = foldl' recursiveUpdate { } (map (path:
        setAttrByPath path (mkOption {
          visible = false;
          # A marker value, so that mergeFn can test whether it was set.
          default = "_mkMergedOptionModule";
        })) from);

      config = {
        warnings = filter (x: x != "") (map (f:
          let
            val = getAttrFromPath f config;
            opt = getAttrFromPath f options;
          in
          optionalString (val != "_mkMergedOptionModule")
            "The option `${showOption f}' defined in ${showFiles opt.files} has been changed to `${showOption to}' that has a different type. Please read `${showOption to}' documentation and update your configuration accordingly.")
          from);
      } // setAttrByPath to (mkMerge (optional
        (any (f: (getAttrFromPath f config) != "_mkMergedOptionModule") from)
        (mergeFn config)));
    };

  mkChangedOptionModule = from: to: changeFn:
    mkMergedOptionModule [ from ] to changeFn;

  mkAliasOptionModule = from: to:
    doRename {
      inherit from to;
      visible = true;
      warn = false;
      use = lib.trivial.id;
    };

  mkAliasOptionModuleMD = mkAliasOptionModule;

  # A definition derived from another option's value, at that option's priority.
  mkDerivedConfig = opt: f:
    mkOverride (opt.highestPrio or defaultOverridePriority) (f opt.value);

  doRename =
    {
      from,
      to,
      visible,
      warn,
      use,
      withPriority ? true,
      condition ? true,
    }:
    { config, options, ... }:
    let
      fromOpt = getAttrFromPath from options;
      toOf = attrByPath to (abort "Renaming error: option `${showOption to}' does not exist.");
      toType =
        let opt = attrByPath to { } options;
        in opt.type or (types.submodule { });
    in
    {
      options = setAttrByPath from (mkOption {
        inherit visible;
        description = "Alias of {option}`${showOption to}`.";
        apply = x: use (toOf config);
      } // optionalAttrs (toType != null) {
        type = toType;
      });
      config = mkIf condition (mkMerge [
        (optionalAttrs (options ? warnings) {
          warnings = optional (warn && fromOpt.isDefined)
            "The option `${showOption from}' defined in ${showFiles fromOpt.files} has been renamed to `${showOption to}'.";
        })
        (if withPriority
         then mkAliasAndWrapDefsWithPriority (setAttrByPath to) fromOpt
         else mkAliasAndWrapDefinitions (setAttrByPath to) fromOpt)
      ]);
    };

  defaultPriority = warnIf (lib.trivial.oldestSupportedReleaseIsAtLeast 2305)
    "lib.modules.defaultPriority is deprecated, please use lib.modules.defaultOverridePriority instead."
    defaultOverridePriority;
in
props // {
  # For types.nix: the native type merges, or null (never part of `lib`).
  _nix2dreamNative = native;
  inherit
    evalModules collectModules setDefaultModuleLocation unifyModuleSyntax
    applyModuleArgsIfFunction applyModuleArgs mergeModules mergeModules'
    mergeOptionDecls evalOptionValue mergeDefinitions pushDownProperties
    dischargeProperties filterOverrides filterOverrides' sortProperties
    fixupOptionType fixMergeModules importApply mkDefinition
    mkAliasDefinitions mkAliasAndWrapDefinitions mkAliasAndWrapDefsWithPriority
    mkAliasIfDef mkRemovedOptionModule mkRenamedOptionModule
    mkRenamedOptionModuleWith mkMergedOptionModule mkChangedOptionModule
    mkAliasOptionModule mkAliasOptionModuleMD mkDerivedConfig doRename
    defaultPriority;
}
