# Option types (lib.types) and the machinery to build them (mkOptionType,
# isType, setType, defaultTypeMerge, defaultFunctor, isOptionType).
#
# Names, descriptions, checks, merge behaviour, empty values, sub-options
# and type merging follow nixpkgs' lib/types.nix. Containers (listOf,
# attrsOf/attrsWith, submoduleWith, either) also provide the "v2" merge
# protocol: `merge.v2 { loc, defs }` returns { headError; value; valueMeta; }
# and their `check` is marked `isV2MergeCoherent`, so that mergeDefinitions
# type-checks and merges them in one pass.
{ lib }:
let
  inherit (builtins)
    isAttrs isBool isInt isFloat isString isList isPath
    all any attrNames concatLists elem elemAt filter foldl' head length
    map mapAttrs tail toJSON typeOf hasContext match zipAttrsWith
    unsafeDiscardStringContext substring stringLength;

  inherit (lib.trivial) flip boolToString throwIf;
  inherit (lib.lists) imap1 toList;
  inherit (lib.strings) concatMapStringsSep concatStringsSep escapeNixString
    hasInfix isStringLike removeSuffix isStorePath;
  inherit (lib.attrsets) filterAttrs optionalAttrs isDerivation toDerivation;
  inherit (lib.options)
    mergeDefaultOption mergeEqualOption mergeOneOption mergeUniqueOption
    getFiles getValues showDefs showFiles showOption;

  # The module system, looked up lazily.
  mergeDefinitions = loc: type: defs: lib.modules.mergeDefinitions loc type defs;

  # Under nix2dream, the merges of the most used containers are native
  # (crates/nix2dream-modules); the Nix merges below are the reference.
  native = lib.modules._nix2dreamNative or null;

  isType = type: x: (x._type or "") == type;

  # " at file:line:column" of attribute `name` in `v`, when known.
  inAttrPosSuffix = v: name:
    let pos = builtins.unsafeGetAttrPos name v;
    in if pos == null then "" else " at ${pos.file}:${toString pos.line}:${toString pos.column}";

  setType = typeName: value: value // { _type = typeName; };

  isOptionType = isType "option-type";

  # Merge two types built by the same type constructor: by payload, by
  # wrapped type (legacy), or not at all (null).
  defaultTypeMerge = f: f':
    let
      mergedWrapped = f.wrapped.typeMerge f'.wrapped.functor;
      mergedPayload = f.binOp f.payload f'.payload;

      hasPayload =
        assert (f'.payload != null) == (f.payload != null);
        f.payload != null;
      hasWrapped =
        assert (f'.wrapped != null) == (f.wrapped != null);
        f.wrapped != null;

      typeFromPayload = if mergedPayload == null then null else f.type mergedPayload;
      typeFromWrapped = if mergedWrapped == null then null else f.type mergedWrapped;
    in
    if f.name != f'.name then null
    else if hasPayload then
      if f ? wrappedDeprecationMessage then typeFromPayload
      else if hasWrapped then
        throw ''
          Type ${f.name} defines both `functor.payload` and `functor.wrapped` at the same time, which is not supported.

          Use either `functor.payload` or `functor.wrapped` but not both.

          If your code worked before remove either `functor.wrapped` or `functor.payload` from the type definition.
        ''
      else typeFromPayload
    else if hasWrapped then typeFromWrapped
    else f.type;

  defaultFunctor = name: {
    inherit name;
    type = types.${name} or null;
    wrapped = null;
    payload = null;
    binOp = a: b: null;
  };

  mkOptionType =
    {
      # Human-readable name of the type, e.g. "listOf".
      name,
      # Description shown in documentation and errors (defaults to name).
      description ? null,
      # How the description reads inside other descriptions: "noun",
      # "conjunction", "composite", "nonRestrictiveClause" or null.
      descriptionClass ? null,
      # Whether a single definition value is of this type.
      check ? (x: true),
      # Merge a list of checked definitions { file; value; } into a value.
      merge ? mergeDefaultOption,
      # { value = ...; } when the type has an empty value, else { }.
      emptyValue ? { },
      # Sub-options for documentation.
      getSubOptions ? prefix: { },
      # Sub-modules of submodule types, or null.
      getSubModules ? null,
      # Replace the sub-modules (submodule types only).
      substSubModules ? m: null,
      # Merge with another type's functor, or null when they don't merge.
      typeMerge ? defaultTypeMerge functor,
      functor ? defaultFunctor name,
      # Warns when the type is used.
      deprecationMessage ? null,
      # Types this type is built from.
      nestedTypes ? { },
    }:
    {
      _type = "option-type";
      inherit
        name check merge emptyValue getSubOptions getSubModules
        substSubModules typeMerge deprecationMessage nestedTypes
        descriptionClass;
      # `functor.wrapped` of types built around an element type is
      # deprecated: reading it warns.
      functor =
        if functor ? wrappedDeprecationMessage
        then functor // { wrapped = functor.wrappedDeprecationMessage { loc = null; }; }
        else functor;
      description = if description == null then name else description;
    };

  # The description of `t` inside another description, parenthesised
  # unless its class is accepted by `unparenthesize`.
  optionDescriptionPhrase = unparenthesize: t:
    if unparenthesize (t.descriptionClass or null) then t.description else "(${t.description})";

  # Neither type of an `either` accepts the definitions (see `either`). A
  # record, not an error: an outer `either` (as `oneOf` nests them) tries
  # its other type next.
  eitherFailure = t1: t2: loc: defs: rec {
    valueMeta = { inherit headError; };
    headError.message = eitherFailureMessage t1 t2 loc defs;
    value = eitherFailureValue headError.message loc defs;
  };

  eitherFailureMessage = t1: t2: loc: defs:
    "The option `${showOption loc}` is neither a value of type `${t1.description}` nor `${t2.description}`, Definition values: ${showDefs defs}";

  eitherFailureValue = message: loc: defs:
    lib.warn ''
      One or more definitions did not pass the type-check of the 'either' type.
      ${message}
      If `either`, `oneOf` or similar is used in freeformType, ensure that it is preceded by an 'attrsOf' such as: `freeformType = types.attrsOf (types.either t1 t2)`.
      Otherwise consider using the correct type for the option `${showOption loc}`.  This will be an error in Nixpkgs 26.05.
    '' (mergeOneOption loc defs);

  nullOrMixedError = loc: defs:
    throw "The option `${showOption loc}` is defined both null and not null, in ${showFiles (getFiles defs)}.";

  # ---- v2 merge helpers
  coherentCheck = f: {
    __functor = if native != null then native.constant f else _self: f;
    isV2MergeCoherent = true;
  };

  v2Merge = v2: {
    __functor = if native != null then native.v2Functor else self: loc: defs: (self.v2 { inherit loc defs; }).value;
    inherit v2;
  };

  checkDefsForError =
    if native != null then native.checkDefsForError else checkDefsForErrorNix;

  checkDefsForErrorNix = check: loc: defs:
    let invalidDefs = filter (def: !check def.value) defs;
    in if invalidDefs != [ ] then { message = "Definition values: ${showDefs invalidDefs}"; } else null;

  # A type with a v2 merge must keep the check that goes with it: replacing
  # `check` with `//` would be ignored by the v2 merge, so it is an error.
  # Returns `result` when the type is coherent.
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

  # Run a type's checked merge: v2 when available, else check + merge.
  checkedMerge = t: loc: defs:
    if t.merge ? v2 then
      checkV2MergeCoherence loc t (t.merge.v2 { inherit loc defs; })
    else
      {
        value = t.merge loc defs;
        headError = checkDefsForError t.check loc defs;
        valueMeta = { };
      };

  makeWrappedDeprecationMessage = payload: { loc }:
    lib.warn ''
      The deprecated `${lib.optionalString (loc != null) "type."}functor.wrapped` attribute ${
        lib.optionalString (loc != null) "of the option `${showOption loc}` "
      }is accessed, use `${lib.optionalString (loc != null) "type."}nestedTypes.elemType` instead.
    '' payload.elemType;

  # Functor of a type built around one element type.
  elemTypeFunctor = name: { elemType, ... }@payload: {
    inherit name payload;
    wrappedDeprecationMessage = makeWrappedDeprecationMessage payload;
    type = types.${name};
    binOp = a: b:
      let merged = a.elemType.typeMerge b.elemType.functor;
      in if merged == null then null else { elemType = merged; };
  };

  # Documentation evaluates submodules without their definitions, in a
  # context that may lack things: never check undeclared definitions there.
  noCheckForDocsModule = {
    config._module.check = lib.modules.mkForce false;
    _file = "<built-in module that disables checks for the purpose of documentation generation>";
  };

  types = rec {

    # ------------------------------------------------------------ basic

    raw = mkOptionType {
      name = "raw";
      description = "raw value";
      descriptionClass = "noun";
      check = value: true;
      merge = mergeOneOption;
    };

    anything = mkOptionType {
      name = "anything";
      description = "anything";
      descriptionClass = "noun";
      check = value: true;
      merge = loc: defs:
        let
          getType = value:
            if isAttrs value && isStringLike value then "stringCoercibleSet" else typeOf value;

          # All definitions must be of one kind.
          commonType = foldl' (type: def:
            if getType def.value == type then type
            else throw "The option `${showOption loc}' has conflicting option types in ${showFiles (getFiles defs)}")
            (getType (head defs).value) defs;

          mergeFunction = {
            # Attribute sets merge recursively.
            set = (attrsOf anything).merge;
            # Packages and the like: only one definition.
            stringCoercibleSet = mergeOneOption;
            # Functions: merge the results.
            lambda = loc: defs: arg:
              anything.merge (loc ++ [ "<function body>" ])
                (map (def: { file = def.file; value = def.value arg; }) defs);
            # Everything else must be equal.
          }.${commonType} or mergeEqualOption;
        in
        mergeFunction loc defs;
    };

    unspecified = mkOptionType {
      name = "unspecified";
      description = "unspecified value";
      descriptionClass = "noun";
    };

    bool = mkOptionType {
      name = "bool";
      description = "boolean";
      descriptionClass = "noun";
      check = isBool;
      merge = mergeEqualOption;
    };

    boolByOr = mkOptionType {
      name = "boolByOr";
      description = "boolean (merged using or)";
      descriptionClass = "noun";
      check = isBool;
      merge = loc: defs: foldl' (result: def: result || def.value) false defs;
    };

    int = mkOptionType {
      name = "int";
      description = "signed integer";
      descriptionClass = "noun";
      check = isInt;
      merge = mergeEqualOption;
    };

    # Integers restricted to a range.
    ints =
      let
        betweenDesc = lowest: highest: "${toString lowest} and ${toString highest} (both inclusive)";
        between = lowest: highest:
          assert lib.asserts.assertMsg (lowest <= highest) "ints.between: lowest must be smaller than highest";
          addCheck int (x: x >= lowest && x <= highest) // {
            name = "intBetween";
            description = "integer between ${betweenDesc lowest highest}";
          };
        ign = lowest: highest: name: docStart:
          between lowest highest // {
            inherit name;
            description = docStart + "; between ${betweenDesc lowest highest}";
          };
        unsign = bit: range:
          ign 0 (range - 1) "unsignedInt${toString bit}" "${toString bit} bit unsigned integer";
        sign = bit: range:
          ign (0 - (range / 2)) (range / 2 - 1) "signedInt${toString bit}" "${toString bit} bit signed integer";
      in
      {
        inherit between;

        unsigned = addCheck int (x: x >= 0) // {
          name = "unsignedInt";
          description = "unsigned integer, meaning >=0";
          descriptionClass = "nonRestrictiveClause";
        };
        positive = addCheck int (x: x > 0) // {
          name = "positiveInt";
          description = "positive integer, meaning >0";
          descriptionClass = "nonRestrictiveClause";
        };
        u8 = unsign 8 256;
        u16 = unsign 16 65536;
        # Nix integers are signed 64 bit: there is no u64.
        u32 = unsign 32 4294967296;

        s8 = sign 8 256;
        s16 = sign 16 65536;
        s32 = sign 32 4294967296;
      };

    port = ints.u16;

    float = mkOptionType {
      name = "float";
      description = "floating point number";
      descriptionClass = "noun";
      check = isFloat;
      merge = mergeEqualOption;
    };

    number = either int float;

    numbers =
      let
        betweenDesc = lowest: highest:
          "${toJSON lowest} and ${toJSON highest} (both inclusive)";
      in
      {
        between = lowest: highest:
          assert lib.asserts.assertMsg (lowest <= highest) "numbers.between: lowest must be smaller than highest";
          addCheck number (x: x >= lowest && x <= highest) // {
            name = "numberBetween";
            description = "integer or floating point number between ${betweenDesc lowest highest}";
          };

        nonnegative = addCheck number (x: x >= 0) // {
          name = "numberNonnegative";
          description = "nonnegative integer or floating point number, meaning >=0";
          descriptionClass = "nonRestrictiveClause";
        };
        positive = addCheck number (x: x > 0) // {
          name = "numberPositive";
          description = "positive integer or floating point number, meaning >0";
          descriptionClass = "nonRestrictiveClause";
        };
      };

    str = mkOptionType {
      name = "str";
      description = "string";
      descriptionClass = "noun";
      check = isString;
      merge = mergeEqualOption;
    };

    nonEmptyStr = mkOptionType {
      name = "nonEmptyStr";
      description = "non-empty string";
      descriptionClass = "noun";
      check = x: str.check x && match "[ \t\n]*" x == null;
      inherit (str) merge;
    };

    # A string without newlines, except for one trailing newline that the
    # merge removes.
    singleLineStr =
      let inherit (strMatching "[^\n\r]*\n?") check merge;
      in
      mkOptionType {
        name = "singleLineStr";
        description = "(optionally newline-terminated) single-line string";
        descriptionClass = "noun";
        inherit check;
        merge = loc: defs: removeSuffix "\n" (merge loc defs);
      };

    strMatching = pattern: mkOptionType {
      name = "strMatching ${escapeNixString pattern}";
      description = "string matching the pattern ${pattern}";
      descriptionClass = "noun";
      check = x: str.check x && match pattern x != null;
      inherit (str) merge;
      functor = defaultFunctor "strMatching" // {
        type = payload: strMatching payload.pattern;
        payload = { inherit pattern; };
        binOp = lhs: rhs: if lhs == rhs then lhs else null;
      };
    };

    # Strings merged by joining all definitions with `sep`.
    separatedString = sep: mkOptionType rec {
      name = "separatedString";
      description = "strings concatenated with ${toJSON sep}";
      descriptionClass = "noun";
      check = isString;
      merge = loc: defs: concatStringsSep sep (getValues defs);
      functor = defaultFunctor name // {
        payload = { inherit sep; };
        type = payload: types.separatedString payload.sep;
        binOp = lhs: rhs: if lhs.sep == rhs.sep then { inherit (lhs) sep; } else null;
      };
    };

    lines = separatedString "\n";
    commas = separatedString ",";
    envVar = separatedString ":";

    passwdEntry = entryType:
      addCheck entryType (str: !(hasInfix ":" str || hasInfix "\n" str)) // {
        name = "passwdEntry ${entryType.name}";
        description = "${optionDescriptionPhrase (class: class == "noun") entryType}, not containing newlines or colons";
        descriptionClass = "nonRestrictiveClause";
      };

    attrs = mkOptionType {
      name = "attrs";
      description = "attribute set";
      check = isAttrs;
      merge = loc: foldl' (res: def: res // def.value) { };
      emptyValue = { value = { }; };
    };

    # A derivation, or a store path (turned into a derivation-like set).
    package = mkOptionType {
      name = "package";
      descriptionClass = "noun";
      check = x: isDerivation x || isStorePath x;
      merge = loc: defs:
        let res = mergeOneOption loc defs;
        in
        if isPath res || (isString res && !hasContext res)
        then toDerivation res
        else res;
    };

    shellPackage = package // {
      check = x: isDerivation x && x ? shellPath;
    };

    pkgs = addCheck
      (unique { message = "A Nixpkgs pkgs set can not be merged with another pkgs set."; } attrs // {
        name = "pkgs";
        descriptionClass = "noun";
        description = "Nixpkgs package set";
      })
      (x: (x._type or null) == "pkgs");

    path = pathWith { absolute = true; };

    pathInStore = pathWith { inStore = true; };

    externalPath = pathWith { absolute = true; inStore = false; };

    pathWith = { inStore ? null, absolute ? null }:
      throwIf (inStore != null && absolute != null && inStore && !absolute)
        "In pathWith, inStore means the path must be absolute"
        mkOptionType {
          name = "path";
          description =
            (if absolute == null then "" else (if absolute then "absolute " else "relative "))
            + "path"
            + (if inStore == null then "" else (if inStore then " in the Nix store" else " not in the Nix store"));
          descriptionClass = "noun";
          merge = mergeEqualOption;
          functor = defaultFunctor "path" // {
            type = pathWith;
            payload = { inherit inStore absolute; };
            binOp = lhs: rhs: if lhs == rhs then lhs else null;
          };
          check = x:
            let
              isInStore = lib.path.hasStorePathPrefix
                (if isPath x then x else /. + unsafeDiscardStringContext x);
              isAbsolute = substring 0 1 (toString x) == "/";
              # A path value is never accepted where the store is required
              # not to be used.
              isExpectedType = if inStore == null || inStore then isStringLike x else isString x;
            in
            isExpectedType
            && (inStore == null || inStore == isInStore)
            && (absolute == null || absolute == isAbsolute);
        };

    # ------------------------------------------------------------ containers

    listOf = elemType: mkOptionType rec {
      name = "listOf";
      description = "list of ${optionDescriptionPhrase (class: class == "noun" || class == "composite") elemType}";
      descriptionClass = "composite";
      check = coherentCheck isList;
      merge = v2Merge (if native != null then native.listMergeV2 elemType check else { loc, defs }:
        let
          evals = filter (x: x.optionalValue ? value) (concatLists (imap1 (n: def:
            imap1 (m: def':
              mergeDefinitions
                (loc ++ [ "[definition ${toString n}-entry ${toString m}]" ])
                elemType
                [ { inherit (def) file; value = def'; } ])
              def.value) defs));
        in
        {
          headError = checkDefsForError check loc defs;
          value = map (x: x.optionalValue.value or x.mergedValue) evals;
          valueMeta.list = map (x: x.checkedAndMerged.valueMeta) evals;
        });
      emptyValue = { value = [ ]; };
      getSubOptions = prefix: elemType.getSubOptions (prefix ++ [ "*" ]);
      getSubModules = elemType.getSubModules;
      substSubModules = m: listOf (elemType.substSubModules m);
      functor = elemTypeFunctor name { inherit elemType; } // {
        type = payload: types.listOf payload.elemType;
      };
      nestedTypes.elemType = elemType;
    };

    nonEmptyListOf = elemType:
      let list = addCheck (types.listOf elemType) (l: l != [ ]);
      in
      list // {
        description = "non-empty ${optionDescriptionPhrase (class: class == "noun") list}";
        emptyValue = { }; # no empty value
        substSubModules = m: nonEmptyListOf (elemType.substSubModules m);
      };

    attrsOf = elemType: attrsWith { inherit elemType; };

    # Only the attribute names are strict; values are merged when read, and
    # an attribute whose definitions all vanish (mkIf false) stays present
    # with the element type's empty value (or an error when read).
    lazyAttrsOf = elemType: attrsWith { inherit elemType; lazy = true; };

    attrsWith =
      let
        # Custom merge of payloads, because of the placeholder.
        binOp = lhs: rhs:
          let
            elemType = lhs.elemType.typeMerge rhs.elemType.functor;
            lazy = if lhs.lazy == rhs.lazy then lhs.lazy else null;
            placeholder =
              if lhs.placeholder == rhs.placeholder then lhs.placeholder
              else if lhs.placeholder == "name" then rhs.placeholder
              else if rhs.placeholder == "name" then lhs.placeholder
              else null;
          in
          if elemType == null || lazy == null || placeholder == null then null
          else { inherit elemType lazy placeholder; };
      in
      { elemType, lazy ? false, placeholder ? "name" }:
      mkOptionType rec {
        name = if lazy then "lazyAttrsOf" else "attrsOf";
        description =
          (if lazy then "lazy attribute set" else "attribute set")
          + " of ${optionDescriptionPhrase (class: class == "noun" || class == "composite") elemType}";
        descriptionClass = "composite";
        check = coherentCheck isAttrs;
        merge = v2Merge (if native != null then native.attrsMergeV2 elemType lazy check else { loc, defs }:
          let
            # Push the file of each definition down to its attributes.
            pushed = map (def: mapAttrs (n: v: { inherit (def) file; value = v; }) def.value) defs;
            all' = zipAttrsWith (name: defs: mergeDefinitions (loc ++ [ name ]) elemType defs) pushed;
            evals = if lazy then all' else filterAttrs (n: v: v.optionalValue ? value) all';
          in
          {
            headError = checkDefsForError check loc defs;
            value =
              if lazy
              then mapAttrs (n: v: v.optionalValue.value or elemType.emptyValue.value or v.mergedValue) evals
              else mapAttrs (n: v: v.optionalValue.value) evals;
            valueMeta.attrs = mapAttrs (n: v: v.checkedAndMerged.valueMeta) evals;
          });
        emptyValue = { value = { }; };
        getSubOptions = prefix: elemType.getSubOptions (prefix ++ [ "<${placeholder}>" ]);
        getSubModules = elemType.getSubModules;
        substSubModules = m: attrsWith {
          elemType = elemType.substSubModules m;
          inherit lazy placeholder;
        };
        functor = elemTypeFunctor "attrsWith" { inherit elemType lazy placeholder; } // {
          inherit binOp;
        };
        nestedTypes.elemType = elemType;
      };

    # Deprecated alias of attrsOf.
    loaOf = elemType: types.attrsOf elemType // {
      name = "loaOf";
      deprecationMessage =
        "Mixing lists with attribute values is no longer"
        + " possible; please use `types.attrsOf` instead. See"
        + " https://github.com/NixOS/nixpkgs/issues/1800 for the motivation.";
      nestedTypes.elemType = elemType;
    };

    # A tagged union: a value is an attribute set with exactly one
    # attribute, whose name picks one of the `tags` (options) that types it.
    attrTag = tags:
      let
        given = tags;
        tagOptions = mapAttrs (n: opt:
          builtins.addErrorContext
            "while checking that attrTag tag ${lib.strings.escapeNixIdentifier n} is an option with a type${inAttrPosSuffix given n}"
            (throwIf (opt._type or null != "option")
              "In attrTag, each tag value must be an option, but tag ${lib.strings.escapeNixIdentifier n} ${
                if opt ? _type then
                  if opt._type == "option-type" then "was a bare type, not wrapped in mkOption."
                  else "was of type ${escapeNixString opt._type}."
                else "was not."}"
              opt // {
                declarations = opt.declarations or (
                  let pos = builtins.unsafeGetAttrPos n given;
                  in if pos == null then [ ] else [ pos.file ]);
                declarationPositions = opt.declarationPositions or (
                  let pos = builtins.unsafeGetAttrPos n given;
                  in if pos == null then [ ] else [ pos ]);
              })) given;
        choicesStr = concatMapStringsSep ", " lib.strings.escapeNixIdentifier (attrNames tagOptions);
      in
      mkOptionType {
        name = "attrTag";
        description = "attribute-tagged union with choices: ${choicesStr}";
        descriptionClass = "noun";
        getSubOptions = prefix:
          mapAttrs (tagName: tagOption: tagOption // { loc = prefix ++ [ tagName ]; }) tagOptions;
        check = v: isAttrs v && length (attrNames v) == 1 && tagOptions ? ${head (attrNames v)};
        merge = loc: defs:
          let
            choice = head (attrNames (head defs).value);
            valueDefs = map (def:
              assert length (attrNames def.value) == 1;
              if head (attrNames def.value) != choice then
                throw "The option `${showOption loc}` is defined both as `${choice}` and `${head (attrNames def.value)}`, in ${showFiles (getFiles defs)}."
              else { inherit (def) file; value = def.value.${choice}; }) defs;
          in
          if tagOptions ? ${choice} then
            { ${choice} = (lib.modules.evalOptionValue (loc ++ [ choice ]) tagOptions.${choice} valueDefs).value; }
          else
            throw "The option `${showOption loc}` is defined as ${lib.strings.escapeNixIdentifier choice}, but ${lib.strings.escapeNixIdentifier choice} is not among the valid choices (${choicesStr}). Value ${choice} was defined in ${showFiles (getFiles defs)}.";
        nestedTypes = tagOptions;
        functor = defaultFunctor "attrTag" // {
          type = { tags, ... }: types.attrTag tags;
          payload = { tags = tagOptions; };
          binOp =
            let
              asDecl = option: { options = option; _file = "<attrTag {...}>"; pos = null; };
            in
            a: b: {
              tags = a.tags // b.tags // mapAttrs (tagName: bOpt:
                lib.modules.mergeOptionDecls [ tagName ] [ (asDecl a.tags.${tagName}) (asDecl bOpt) ] // {
                  # mergeOptionDecls would record the stand-in file.
                  declarations = a.tags.${tagName}.declarations ++ bOpt.declarations;
                  declarationPositions = a.tags.${tagName}.declarationPositions ++ bOpt.declarationPositions;
                }) (builtins.intersectAttrs a.tags b.tags);
            };
        };
      };

    # A value made by lib.mkLuaInline.
    luaInline = mkOptionType {
      name = "luaInline";
      description = "inline lua";
      descriptionClass = "noun";
      check = x: x._type or null == "lua-inline";
      merge = mergeEqualOption;
    };

    # A single definition only; the inner type still merges it.
    uniq = unique { message = ""; };

    unique = { message }: type: mkOptionType rec {
      name = "unique";
      inherit (type) description descriptionClass check;
      merge = mergeUniqueOption {
        inherit message;
        inherit (type) merge;
      };
      emptyValue = type.emptyValue;
      getSubOptions = type.getSubOptions;
      getSubModules = type.getSubModules;
      substSubModules = m: uniq (type.substSubModules m);
      functor = elemTypeFunctor name { elemType = type; } // {
        type = payload: types.unique { inherit message; } payload.elemType;
      };
      nestedTypes.elemType = type;
    };

    nullOr = elemType: mkOptionType rec {
      name = "nullOr";
      description = "null or ${optionDescriptionPhrase (class: class == "noun" || class == "conjunction") elemType}";
      descriptionClass = "conjunction";
      check = if native != null then native.nullOrCheck elemType else x: x == null || elemType.check x;
      merge = if native != null then native.nullOrMerge nullOrMixedError elemType else loc: defs:
        let nrNulls = lib.lists.count (def: def.value == null) defs;
        in
        if nrNulls == length defs then null
        else if nrNulls != 0 then nullOrMixedError loc defs
        else elemType.merge loc defs;
      emptyValue = { value = null; };
      getSubOptions = elemType.getSubOptions;
      getSubModules = elemType.getSubModules;
      substSubModules = m: nullOr (elemType.substSubModules m);
      functor = elemTypeFunctor name { inherit elemType; } // {
        type = payload: types.nullOr payload.elemType;
      };
      nestedTypes.elemType = elemType;
    };

    functionTo = elemType: mkOptionType {
      name = "functionTo";
      description = "function that evaluates to a(n) ${optionDescriptionPhrase (class: class == "noun" || class == "composite") elemType}";
      descriptionClass = "composite";
      check = lib.trivial.isFunction;
      merge = loc: defs: {
        # An argument is optional when it is optional in every definition.
        __functionArgs = zipAttrsWith (_: all (x: x)) (map (fn: lib.trivial.functionArgs fn.value) defs);
        __functor = _: callerArgs:
          (mergeDefinitions (loc ++ [ "<function body>" ]) elemType
            (map (fn: { inherit (fn) file; value = fn.value callerArgs; }) defs)).mergedValue;
      };
      getSubOptions = prefix: elemType.getSubOptions (prefix ++ [ "<function body>" ]);
      getSubModules = elemType.getSubModules;
      substSubModules = m: functionTo (elemType.substSubModules m);
      functor = elemTypeFunctor "functionTo" { inherit elemType; } // {
        type = payload: types.functionTo payload.elemType;
      };
      nestedTypes.elemType = elemType;
    };

    # ------------------------------------------------------------ modules

    # A module, merged by collecting the definitions as imports.
    deferredModule = deferredModuleWith { };

    deferredModuleWith = attrs@{ staticModules ? [ ] }: mkOptionType {
      name = "deferredModule";
      description = "module";
      descriptionClass = "noun";
      check = x: isAttrs x || lib.trivial.isFunction x || path.check x;
      merge = loc: defs: {
        imports = staticModules ++ map (def:
          lib.modules.setDefaultModuleLocation "${def.file}, via option ${showOption loc}" def.value) defs;
      };
      inherit (submoduleWith { modules = staticModules; }) getSubOptions getSubModules;
      substSubModules = m: deferredModuleWith (attrs // { staticModules = m; });
      functor = defaultFunctor "deferredModuleWith" // {
        type = types.deferredModuleWith;
        payload = { inherit staticModules; };
        binOp = lhs: rhs: { staticModules = lhs.staticModules ++ rhs.staticModules; };
      };
    };

    # A type whose values are option types; several definitions merge like
    # several declarations of one option.
    optionType = mkOptionType {
      name = "optionType";
      description = "optionType";
      descriptionClass = "noun";
      check = value: value._type or null == "option-type";
      merge = loc: defs:
        if length defs == 1 then (head defs).value
        else
          let
            optionModules = map ({ value, file }: {
              _file = file;
              options = lib.options.mkOption { type = value; };
            }) defs;
            mergedOption = lib.modules.fixupOptionType loc (lib.modules.mergeOptionDecls loc optionModules);
          in
          mergedOption.type;
    };

    submodule = modules: submoduleWith {
      shorthandOnlyDefinesConfig = true;
      modules = toList modules;
    };

    submoduleWith =
      {
        modules,
        specialArgs ? { },
        shorthandOnlyDefinesConfig ? false,
        description ? null,
        class ? null,
      }@attrs:
      let
        # A definition becomes a module of the submodule evaluation.
        definitionModule = { value, file }:
          if isAttrs value && shorthandOnlyDefinesConfig
          then { _file = file; config = value; }
          else { _file = file; imports = [ value ]; };
        allModules = defs: map definitionModule defs;

        # `base.extendModules { modules; prefix; }` is `evalModules` of
        # these arguments with `modules` appended and `prefix` set (see
        # `extendModulesFor`); each element of an attrsOf submodule is that
        # call, made here directly.
        baseArgs = {
          inherit class specialArgs;
          modules = [
            {
              # A name for documentation and for modules that use `name`
              # outside of an attribute set.
              _module.args.name = lib.modules.mkOptionDefault "‹name›";
            }
          ] ++ modules;
        };
        base = lib.modules.evalModules baseArgs;

        freeformType = base._module.freeformType;

        name = "submodule";

        check = coherentCheck (x: isAttrs x || lib.trivial.isFunction x || path.check x);
      in
      mkOptionType {
        inherit name;
        description =
          if description != null then description
          else
            let
              # Shadow the freeformType of the possibly checked evaluation.
              docsEval = base.extendModules { modules = [ noCheckForDocsModule ]; };
              inherit (docsEval._module) freeformType;
            in
            if freeformType == null then name
            else "open ${name} of ${optionDescriptionPhrase (class: class == "noun" || class == "composite") freeformType}";
        inherit check;
        merge = v2Merge (if native != null then native.submoduleMergeV2 baseArgs shorthandOnlyDefinesConfig check definitionModule else { loc, defs }:
          let
            configuration = lib.modules.evalModules (baseArgs // {
              modules = baseArgs.modules ++ [ { _module.args.name = lib.lists.last loc; } ] ++ allModules defs;
              prefix = loc;
            });
          in
          {
            headError = checkDefsForError check loc defs;
            value = configuration.config;
            valueMeta = { inherit configuration; };
          });
        emptyValue = { value = { }; };
        getSubOptions = prefix:
          let
            docsEval = base.extendModules {
              inherit prefix;
              modules = [ noCheckForDocsModule ];
            };
            inherit (docsEval._module) freeformType;
          in
          docsEval.options // optionalAttrs (freeformType != null) {
            # Any name that does not clash with options: documentation
            # tooling looks at the values only.
            _freeformOptions = freeformType.getSubOptions prefix;
          };
        getSubModules = modules;
        substSubModules = m: submoduleWith (attrs // { modules = m; });
        nestedTypes = optionalAttrs (freeformType != null) {
          inherit freeformType;
        };
        functor = defaultFunctor name // {
          type = types.submoduleWith;
          payload = {
            inherit modules class specialArgs shorthandOnlyDefinesConfig description;
          };
          binOp = lhs: rhs: {
            class =
              if lhs.class or null == null then rhs.class or null
              else if rhs.class or null == null then lhs.class or null
              else if lhs.class or null == rhs.class then lhs.class or null
              else throw "A submoduleWith option is declared multiple times with conflicting class values \"${toString lhs.class}\" and \"${toString rhs.class}\".";
            modules = lhs.modules ++ rhs.modules;
            specialArgs =
              let intersecting = builtins.intersectAttrs lhs.specialArgs rhs.specialArgs;
              in
              if intersecting == { } then lhs.specialArgs // rhs.specialArgs
              else throw "A submoduleWith option is declared multiple times with the same specialArgs \"${toString (attrNames intersecting)}\"";
            shorthandOnlyDefinesConfig =
              if lhs.shorthandOnlyDefinesConfig == null then rhs.shorthandOnlyDefinesConfig
              else if rhs.shorthandOnlyDefinesConfig == null then lhs.shorthandOnlyDefinesConfig
              else if lhs.shorthandOnlyDefinesConfig == rhs.shorthandOnlyDefinesConfig then lhs.shorthandOnlyDefinesConfig
              else throw "A submoduleWith option is declared multiple times with conflicting shorthandOnlyDefinesConfig values";
            description =
              if lhs.description == null then rhs.description
              else if rhs.description == null then lhs.description
              else if lhs.description == rhs.description then lhs.description
              else throw "A submoduleWith option is declared multiple times with conflicting descriptions";
          };
        };
      };

    # ------------------------------------------------------------ choices

    enum = values:
      let
        show = v:
          if isString v then ''"${v}"''
          else if isInt v then toString v
          else if isBool v then boolToString v
          else "<${typeOf v}>";
      in
      mkOptionType rec {
        name = "enum";
        description =
          # Empty and singular enums occur when modules extend an "interface" enum.
          if values == [ ] then "impossible (empty enum)"
          else if length values == 1 then "value ${show (head values)} (singular enum)"
          else "one of ${concatMapStringsSep ", " show values}";
        descriptionClass = if length values < 2 then "noun" else "conjunction";
        check = flip elem values;
        merge = mergeEqualOption;
        functor = defaultFunctor name // {
          payload = { inherit values; };
          type = payload: types.enum payload.values;
          binOp = a: b: { values = lib.lists.unique (a.values ++ b.values); };
        };
      };

    # Either of two types: all definitions are merged by the first type
    # that accepts every one of them.
    either = t1: t2: mkOptionType rec {
      name = "either";
      description =
        if t1.descriptionClass or null == "nonRestrictiveClause" then
          # Plain, with a comma.
          "${t1.description}, or ${optionDescriptionPhrase (class: class == "noun" || class == "conjunction") t2}"
        else
          "${optionDescriptionPhrase (class: class == "noun" || class == "conjunction") t1} or ${
            optionDescriptionPhrase (class: class == "noun" || class == "conjunction" || class == "composite") t2}";
      descriptionClass = "conjunction";
      check = coherentCheck (if native != null then native.eitherCheck t1 t2 else x: t1.check x || t2.check x);
      merge = v2Merge (if native != null then native.eitherMergeV2 eitherFailureMessage eitherFailureValue t1 t2 else { loc, defs }:
        let
          r1 = checkedMerge t1 loc defs;
          r2 = checkedMerge t2 loc defs;
        in
        if r1.headError or null == null then r1
        else if r2.headError or null == null then r2
        else eitherFailure t1 t2 loc defs);

      typeMerge = f':
        let
          mt1 = t1.typeMerge (elemAt f'.payload.elemType 0).functor;
          mt2 = t2.typeMerge (elemAt f'.payload.elemType 1).functor;
        in
        if name == f'.name && mt1 != null && mt2 != null then functor.type mt1 mt2 else null;
      functor = elemTypeFunctor name { elemType = [ t1 t2 ]; };
      nestedTypes.left = t1;
      nestedTypes.right = t2;
    };

    oneOf = ts:
      let
        head' = if ts == [ ] then throw "types.oneOf needs to get at least one type in its argument" else head ts;
        tail' = tail ts;
      in
      foldl' either head' tail';

    # Values of coercedType are converted by coerceFunc; finalType merges.
    coercedTo = coercedType: coerceFunc: finalType:
      assert lib.asserts.assertMsg (coercedType.getSubModules == null)
        "coercedTo: coercedType must not have submodules (it’s a ${coercedType.description})";
      mkOptionType rec {
        name = "coercedTo";
        description = "${optionDescriptionPhrase (class: class == "noun") finalType} or ${
          optionDescriptionPhrase (class: class == "noun") coercedType} convertible to it";
        check = coherentCheck (x: (coercedType.check x && finalType.check (coerceFunc x)) || finalType.check x);
        merge = v2Merge ({ loc, defs }:
          let
            # A definition is coerced when the coerced type accepts it
            # (judged by its own checked merge when it has one).
            coerce = def: def // {
              value =
                if coercedType.merge ? v2 then
                  let r = checkV2MergeCoherence loc coercedType (coercedType.merge.v2 { inherit loc; defs = [ def ]; });
                  in if r.headError == null then coerceFunc def.value else def.value
                else if coercedType.check def.value then coerceFunc def.value
                else def.value;
            };
            finalDefs = map coerce defs;
          in
          if finalType.merge ? v2 then
            checkV2MergeCoherence loc finalType (finalType.merge.v2 { inherit loc; defs = finalDefs; })
          else
            {
              value = finalType.merge loc finalDefs;
              valueMeta = { };
              headError = checkDefsForError check loc defs;
            });
        emptyValue = finalType.emptyValue;
        getSubOptions = finalType.getSubOptions;
        getSubModules = finalType.getSubModules;
        substSubModules = m: coercedTo coercedType coerceFunc (finalType.substSubModules m);
        typeMerge = t: null;
        functor = defaultFunctor name // {
          wrappedDeprecationMessage = makeWrappedDeprecationMessage { elemType = finalType; };
        };
        nestedTypes.coercedType = coercedType;
        nestedTypes.finalType = finalType;
      };

    # Add an extra check to a type (name and description stay).
    addCheck = elemType: check:
      let
        checkBoth = if native != null then native.addCheckCheck elemType check else x: elemType.check x && check x;
      in
      if elemType.merge ? v2 then
        elemType // {
          check = coherentCheck checkBoth;
          merge = v2Merge ({ loc, defs }:
            let orig = checkV2MergeCoherence loc elemType (elemType.merge.v2 { inherit loc defs; });
            in orig // {
              headError =
                if orig.headError or null != null then orig.headError
                else checkDefsForError check loc defs;
            });
        }
      else
        elemType // { check = checkBoth; };
  };

  # Merge two option types with the first one's typeMerge, or a
  # "merge-error" value when they do not merge.
  mergeTypes = a: b:
    assert isOptionType a && isOptionType b;
    let merged = a.typeMerge b.functor;
    in if merged == null then setType "merge-error" { error = "Cannot merge types"; } else merged;
in
{
  inherit isType setType defaultTypeMerge defaultFunctor isOptionType mkOptionType
    optionDescriptionPhrase mergeTypes;
} // types // {
  inherit types;
}
