# Options as data: declaring them (mkOption and friends), merging plain
# definition lists, and showing option paths, files and values.
# The module system proper (evalModules, types) lives elsewhere; this file
# only refers to `lib.types` lazily.
{ lib }:
let
  inherit (builtins)
    head tail length isList isAttrs isBool isString isInt isFunction
    all concatLists concatStringsSep filter foldl' elem;
  inherit (lib) collect optionalAttrs optionals showOption;

  prioritySuggestion = ''
    Use `lib.mkForce value` or `lib.mkDefault value` to change the priority on any of these definitions.
  '';

  self = {
    isOption = x: (x._type or "") == "option";

    mkOption =
      { default ? null
      , defaultText ? null
      , example ? null
      , description ? null
      , relatedPackages ? null
      , type ? null
      , apply ? null
      , internal ? null
      , visible ? null
      , readOnly ? null
      }@attrs:
      attrs // { _type = "option"; };

    mkEnableOption = name: self.mkOption {
      default = false;
      example = true;
      description = "Whether to enable ${name}.";
      type = lib.types.bool;
    };

    # An option for a package taken from `pkgs` by attribute name or path.
    mkPackageOption = pkgs: name:
      { nullable ? false
      , default ? name
      , example ? null
      , extraDescription ? ""
      , pkgsText ? "pkgs"
      }:
      let
        shortName = if isList name then lib.last name else name;
        defaultPath = if isList default then default else [ default ];
        defaultText = concatStringsSep "." defaultPath;
        defaultValue = lib.attrByPath defaultPath
          (throw "${defaultText} cannot be found in ${pkgsText}") pkgs;
        defaults =
          if default != null then {
            default = defaultValue;
            defaultText = self.literalExpression "${pkgsText}.${defaultText}";
          }
          else optionalAttrs nullable { default = null; };
      in
      self.mkOption (defaults // {
        description = "The ${shortName} package to use."
          + (if extraDescription == "" then "" else " ") + extraDescription;
        type = (if nullable then lib.types.nullOr else (t: t)) lib.types.package;
      } // optionalAttrs (example != null) {
        example = self.literalExpression
          (if isList example then "${pkgsText}.${concatStringsSep "." example}" else example);
      });

    mkPackageOptionMD = lib.warn
      "mkPackageOptionMD is deprecated and will be removed; please use mkPackageOption."
      self.mkPackageOption;

    # An option that accepts and ignores any definition.
    mkSinkUndeclaredOptions = attrs: self.mkOption ({
      internal = true;
      visible = false;
      default = false;
      description = "Sink for option definitions.";
      type = lib.mkOptionType {
        name = "sink";
        check = _: true;
        merge = _: _: false;
      };
      apply = _: throw "Option value is not readable because the option is not declared.";
    } // attrs);

    # ------------------------------------------------------------ merging
    mergeDefaultOption = loc: defs:
      let list = self.getValues defs;
      in
      if length list == 1 then head list
      # (nixpkgs passes bare values here, which then fails; we keep the defs.)
      else if all isFunction list then
        x: self.mergeDefaultOption loc (map (d: d // { value = d.value x; }) defs)
      else if all isList list then concatLists list
      else if all isAttrs list then foldl' (a: b: a // b) { } list
      else if all isBool list then foldl' (a: b: a || b) false list
      else if all isString list then concatStringsSep "" list
      else if all isInt list && all (x: x == head list) list then head list
      else throw "Cannot merge definitions of `${showOption loc}'. Definition values:${self.showDefs defs}";

    mergeUniqueOption = { message, merge ? loc: defs: (head defs).value }: loc: defs:
      if length defs == 1 then merge loc defs
      else
        assert length defs > 1;
        throw "The option `${showOption loc}' is defined multiple times while it's expected to be unique.\n${message}\nDefinition values:${self.showDefs defs}\n${prioritySuggestion}";

    mergeOneOption = self.mergeUniqueOption { message = ""; };

    mergeEqualOption = loc: defs:
      if defs == [ ] then abort "This case should never happen."
      else if length defs == 1 then (head defs).value
      else
        (foldl' (first: def:
          if def.value != first.value then
            throw "The option `${showOption loc}' has conflicting definition values:${self.showDefs [ first def ]}\n${prioritySuggestion}"
          else first) (head defs) (tail defs)).value;

    getValues = map (x: x.value);

    getFiles = map (x: x.file);

    # ------------------------------------------------------------ documentation
    optionAttrSetToDocList = self.optionAttrSetToDocList' [ ];

    optionAttrSetToDocList' = _: options:
      lib.concatMap (opt:
        let
          name = showOption opt.loc;
          visible = opt.visible or true;
          docOption = {
            loc = opt.loc;
            inherit name;
            description = opt.description or null;
            declarations = filter (x: x != self.unknownModule) opt.declarations;
            internal = opt.internal or false;
            visible = if isBool visible then visible else visible == "shallow";
            readOnly = opt.readOnly or false;
            type = opt.type.description or "unspecified";
          }
          // optionalAttrs (opt ? example) {
            example = builtins.addErrorContext "while evaluating the example of option `${name}`"
              (self.renderOptionValue opt.example);
          }
          # Without a default, the type's empty value is what the option
          # evaluates to, and is documented as the default.
          // optionalAttrs (opt ? defaultText || opt ? default || (opt.type.emptyValue or { }) ? value) {
            default = builtins.addErrorContext
              "while evaluating the ${if opt ? defaultText then "defaultText" else "default value"} of option `${name}`"
              (self.renderOptionValue (opt.defaultText or opt.default or opt.type.emptyValue.value));
          }
          // optionalAttrs (opt ? relatedPackages && opt.relatedPackages != null) {
            inherit (opt) relatedPackages;
          };
          subOptions =
            let ss = opt.type.getSubOptions opt.loc;
            in if ss != { } then self.optionAttrSetToDocList' opt.loc ss else [ ];
          subOptionsVisible = if isBool visible then visible else visible == "transparent";
        in
        [ docOption ] ++ optionals subOptionsVisible subOptions)
        (collect self.isOption options);

    # Replace derivations by stand-ins so that values can be shown.
    scrubOptionValue = x:
      if lib.isDerivation x then {
        type = "derivation";
        drvPath = x.name;
        outPath = x.name;
        name = x.name;
      }
      else if isList x then map self.scrubOptionValue x
      else if isAttrs x then builtins.mapAttrs (_: self.scrubOptionValue) (removeAttrs x [ "_args" ])
      else x;

    renderOptionValue = v:
      if v ? _type && v ? text then v
      else self.literalExpression (lib.generators.toPretty {
        multiline = true;
        allowPrettyValues = true;
      } v);

    literalExpression = text:
      if !isString text then throw "literalExpression expects a string."
      else { _type = "literalExpression"; inherit text; };

    literalExample = lib.warn
      "lib.literalExample is deprecated, use lib.literalExpression instead, or use lib.literalMD for a non-Nix description."
      self.literalExpression;

    literalMD = text:
      if !isString text then throw "literalMD expects a string."
      else { _type = "literalMD"; inherit text; };

    literalDocBook = throw
      "lib.literalDocBook has been removed: option documentation is Markdown, use lib.literalMD.";

    mdDoc = lib.warnIf (lib.oldestSupportedReleaseIsAtLeast 2411)
      "lib.mdDoc will be removed from nixpkgs in 24.11. Option descriptions are now in Markdown by default; you can remove any remaining uses of lib.mdDoc."
      (x: x);

    # ------------------------------------------------------------ showing
    # Dotted option path; parts that are not plain identifiers are quoted,
    # except the placeholders "*" and "<name>".
    showOption = parts:
      let
        escapePart = part:
          if part == "*" || builtins.match "<(.*)>" part != null then part
          else lib.strings.escapeNixIdentifier part;
      in
      concatStringsSep "." (map escapePart parts);

    showOptionWithDefLocs = opt: ''
      ${showOption opt.loc}, with values defined in:
      ${lib.concatMapStringsSep "\n" (defFile: "  - ${defFile}") opt.files}
    '';

    showFiles = files: concatStringsSep " and " (map (f: "`${f}'") files);

    showDefs = defs: lib.concatMapStrings (def:
      let
        pretty = builtins.tryEval (lib.generators.toPretty { }
          (lib.generators.withRecursion { depthLimit = 10; throwOnDepthLimit = false; } def.value));
        lines = filter (v: !isList v) (builtins.split "\n" pretty.value);
        value = concatStringsSep "\n    " (lib.take 5 lines ++ lib.optional (length lines > 5) "...");
        result =
          if !pretty.success then ""
          else if length lines > 1 then ":\n    " + value
          else ": " + value;
      in
      "\n- In `${def.file}'${result}") defs;

    unknownModule = "<unknown-file>";
  };
in
self
