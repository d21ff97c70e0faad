# Generators: turn Nix values into the text of common file formats.
# Each takes an attribute set of settings first, then the value.
{ lib }:
let
  inherit (builtins)
    isInt isFloat isString isBool isList isAttrs isPath length head tail
    concatStringsSep concatLists filter map attrNames typeOf split toJSON
    replaceStrings elem;
  inherit (lib)
    isFunction isDerivation mapAttrsToList concatMapStringsSep
    escapeNixIdentifier;
  escape = lib.strings.escape;

  self = {
    # ------------------------------------------------------------ scalars
    mkValueStringDefault = { }: v:
      let
        err = what: v: abort
          ("generators.mkValueStringDefault: ${what} not supported: ${self.toPretty { } v}");
      in
      if isInt v then toString v
      else if isDerivation v then toString v
      else if isString v then v
      else if true == v then "true"
      else if false == v then "false"
      else if null == v then "null"
      else if isList v then err "lists" v
      else if isAttrs v then err "attrsets" v
      else if isFunction v then err "functions" v
      else if isFloat v then lib.strings.floatToString v
      else err "this value is" (toString v);

    mkKeyValueDefault = { mkValueString ? self.mkValueStringDefault { } }: sep: k: v:
      "${escape [ sep ] k}${sep}${mkValueString v}";

    # ------------------------------------------------------------ key=value
    toKeyValue =
      { mkKeyValue ? self.mkKeyValueDefault { } "="
      , listsAsDuplicateKeys ? false
      , indent ? ""
      }:
      let
        line = k: v: indent + mkKeyValue k v + "\n";
        lines =
          if listsAsDuplicateKeys
          then k: v: map (line k) (if isList v then v else [ v ])
          else k: v: [ (line k v) ];
      in
      attrs: concatStrings (concatLists (mapAttrsToList lines attrs));

    # ------------------------------------------------------------ INI
    toINI =
      { mkSectionName ? (name: escape [ "[" "]" ] name)
      , mkKeyValue ? self.mkKeyValueDefault { } "="
      , listsAsDuplicateKeys ? false
      }:
      attrsOfAttrs:
      let
        section = name: values:
          "[${mkSectionName name}]\n"
          + self.toKeyValue { inherit mkKeyValue listsAsDuplicateKeys; } values;
      in
      concatStringsSep "\n" (mapAttrsToList section attrsOfAttrs);

    toINIWithGlobalSection =
      { mkSectionName ? (name: escape [ "[" "]" ] name)
      , mkKeyValue ? self.mkKeyValueDefault { } "="
      , listsAsDuplicateKeys ? false
      }:
      { globalSection, sections ? { } }:
      (if globalSection == { } then ""
       else self.toKeyValue { inherit mkKeyValue listsAsDuplicateKeys; } globalSection + "\n")
      + self.toINI { inherit mkSectionName mkKeyValue listsAsDuplicateKeys; } sections;

    # git-config: values indented by a tab and quoted, `a.b` section names
    # become `[a "b"]`, nested attribute sets become dotted section names.
    toGitINI = attrs:
      let
        mkSectionName = name:
          let
            parts = lib.splitString "." name;
            sub = tail parts;
          in
          if lib.hasInfix "\"" name || sub == [ ] then name
          else "${head parts} \"${concatStringsSep "." sub}\"";

        mkValueString = v:
          let
            quoted = "\"" + replaceStrings [ "\n" "\t" "\"" "\\" ] [ "\\n" "\\t" "\\\"" "\\\\" ] v + "\"";
          in
          self.mkValueStringDefault { } (if isString v then quoted else v);

        mkKeyValue = k: v:
          concatStringsSep "\n"
            (map (x: "\t" + self.mkKeyValueDefault { inherit mkValueString; } " = " k x) (lib.toList v));

        flatten =
          let
            go = path: value:
              if isAttrs value && !isDerivation value then
                mapAttrsToList (n: v: go ([ n ] ++ path) v) value
              else if length path > 1 then {
                ${concatStringsSep "." (lib.reverseList (tail path))}.${head path} = value;
              }
              else { ${head path} = value; };
          in
          a: builtins.foldl' lib.recursiveUpdate { } (lib.flatten (go [ ] a));
      in
      self.toINI { inherit mkKeyValue mkSectionName; } (flatten attrs);

    mkDconfKeyValue = self.mkKeyValueDefault {
      mkValueString = v:
        if lib ? gvariant then toString (lib.gvariant.mkValue v)
        else throw "lib.generators.mkDconfKeyValue: needs lib.gvariant, which nix2dream's lib does not provide.";
    } "=";

    toDconfINI = self.toINI { mkKeyValue = self.mkDconfKeyValue; };

    # ------------------------------------------------------------ recursion guard
    withRecursion = { depthLimit, throwOnDepthLimit ? true }:
      assert isInt depthLimit;
      let
        special = [ "__functor" "__functionArgs" "__toString" "__pretty" ];
        stepIntoAttr = next: name: if elem name special then (x: x) else next;
        limit = depth:
          if depthLimit != null && depth > depthLimit then
            (if throwOnDepthLimit
             then throw "Exceeded maximum eval-depth limit of ${toString depthLimit} while trying to evaluate with `generators.withRecursion'!"
             else _: "<unevaluated>")
          else x: x;
        mapAny = depth: v:
          let next = x: mapAny (depth + 1) (limit (depth + 1) x);
          in
          if isAttrs v then builtins.mapAttrs (stepIntoAttr next) v
          else if isList v then map next v
          else limit (depth + 1) v;
      in
      mapAny 0;

    # ------------------------------------------------------------ Nix syntax
    toPretty = { allowPrettyValues ? false, multiline ? true, indent ? "" }:
      let
        go = indent: v:
          let
            introSpace = if multiline then "\n${indent}  " else " ";
            outroSpace = if multiline then "\n${indent}" else " ";
          in
          if isInt v then toString v
          else if isFloat v then toJSON v
          else if isString v then
            let
              lines = filter (x: !isList x) (split "\n" v);
              escapeSingle = escape [ "\\" "\"" "\${" ];
              escapeMulti = replaceStrings [ "\${" "''" ] [ "''\${" "'''" ];
              single = "\"" + concatStringsSep "\\n" (map escapeSingle lines) + "\"";
              multi =
                let
                  escaped = map escapeMulti lines;
                  lastLine = lib.last escaped;
                in
                "''" + introSpace + concatStringsSep introSpace (lib.init escaped)
                + (if lastLine == "" then outroSpace else introSpace + lastLine) + "''";
            in
            if multiline && length lines > 1 then multi else single
          else if true == v then "true"
          else if false == v then "false"
          else if null == v then "null"
          else if isPath v then toString v
          else if isList v then
            if v == [ ] then "[ ]"
            else "[" + introSpace + concatMapStringsSep introSpace (go (indent + "  ")) v + outroSpace + "]"
          else if isFunction v then
            let
              args = lib.functionArgs v;
              shown = concatStringsSep ", "
                (mapAttrsToList (name: hasDefault: if hasDefault then name + "?" else name) args);
            in
            if args == { } then "<function>" else "<function, args: {${shown}}>"
          else if isAttrs v then
            if allowPrettyValues && v ? __pretty && v ? val then v.__pretty v.val
            else if v == { } then "{ }"
            else if v ? type && v.type == "derivation" then "<derivation ${v.name or "???"}>"
            else
              "{" + introSpace
              + concatStringsSep introSpace (mapAttrsToList (name: value:
                  "${escapeNixIdentifier name} = ${
                    builtins.addErrorContext "while evaluating an attribute `${name}`"
                      (go (indent + "  ") value)};") v)
              + outroSpace + "}"
          else abort "generators.toPretty: should never happen (v = ${v})";
      in
      go indent;

    # ------------------------------------------------------------ JSON, YAML
    toJSON = { }: toJSON;

    # JSON is a subset of YAML 1.2.
    toYAML = { }: toJSON;

    # ------------------------------------------------------------ plist
    toPlist = { escape ? false }: v:
      let
        esc = if escape then lib.strings.escapeXML else x: x;
        expr = ind: x:
          if x == null then ""
          else if isBool x then ind + (if x then "<true/>" else "<false/>")
          else if isInt x then ind + "<integer>${toString x}</integer>"
          else if isString x then ind + "<string>${esc x}</string>"
          else if isList x then
            concatStringsSep "\n" ([ (ind + "<array>") ]
              ++ map (expr "\t${ind}") x ++ [ (ind + "</array>") ])
          else if isAttrs x then
            concatStringsSep "\n" ([ (ind + "<dict>") ]
              ++ lib.flatten (mapAttrsToList (name: value:
                   lib.optionals (name != "_module" && value != null) [
                     "\t${ind}<key>${esc name}</key>"
                     (expr "\t${ind}" value)
                   ]) x)
              ++ [ (ind + "</dict>") ])
          else if isPath x then ind + "<string>${esc (toString x)}</string>"
          else if isFloat x then ind + "<real>${toString x}</real>"
          else abort "generators.toPlist: should never happen (v = ${v})";
      in
      lib.warnIf (!escape && lib.oldestSupportedReleaseIsAtLeast 2505)
        "Using `lib.generators.toPlist` without `escape = true` is deprecated"
        ''
          <?xml version="1.0" encoding="UTF-8"?>
          <!DOCTYPE plist PUBLIC "-//Apple Computer//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
          <plist version="1.0">
          ${expr "" v}
          </plist>'';

    # ------------------------------------------------------------ Dhall
    toDhall = { }@args: v:
      let concatItems = concatStringsSep ", ";
      in
      if isAttrs v then
        "{ ${concatItems (mapAttrsToList (key: value: "${key} = ${self.toDhall args value}") v)} }"
      else if isList v then "[ ${concatItems (map (self.toDhall args) v)} ]"
      else if isInt v then "${if v < 0 then "" else "+"}${toString v}"
      else if isBool v then (if v then "True" else "False")
      else if isFunction v then abort "generators.toDhall: cannot convert a function to Dhall"
      else if v == null then abort "generators.toDhall: cannot convert a null to Dhall"
      else toJSON v;

    # ------------------------------------------------------------ Lua
    toLua = { multiline ? true, indent ? "", asBindings ? false }@args: v:
      let
        innerIndent = "${indent}  ";
        introSpace = if multiline then "\n${innerIndent}" else " ";
        outroSpace = if multiline then "\n${indent}" else " ";
        innerArgs = {
          inherit multiline;
          indent = if asBindings then indent else innerIndent;
          asBindings = false;
        };
        concatItems = concatStringsSep ",${introSpace}";
        isLuaInline = { _type ? null, ... }: _type == "lua-inline";

        varName = builtins.match "[[:alpha:]_][[:alnum:]_]*(\\.[[:alpha:]_][[:alnum:]_]*)*";
        badVarNames = filter (name: varName name == null) (attrNames v);
        bindings =
          assert lib.assertMsg (badVarNames == [ ]) "Bad Lua var names: ${self.toPretty { } badVarNames}";
          concatStrings (mapAttrsToList (key: value: "${indent}${key} = ${self.toLua innerArgs value}\n") v);
      in
      if asBindings then bindings
      else if v == null then "nil"
      else if isInt v || isFloat v || isString v || isBool v then toJSON v
      else if isPath v || isDerivation v then toJSON "${v}"
      else if isList v then
        (if v == [ ] then "{}"
         else "{${introSpace}${concatItems (map (value: self.toLua innerArgs value) v)}${outroSpace}}")
      else if isAttrs v then
        (if isLuaInline v then "(${v.expr})"
         else if v == { } then "{}"
         else "{${introSpace}${concatItems (mapAttrsToList (key: value:
           "[${toJSON key}] = ${self.toLua innerArgs value}") v)}${outroSpace}}")
      else abort "generators.toLua: type ${typeOf v} is unsupported";

    mkLuaInline = expr: { _type = "lua-inline"; inherit expr; };
  };

  concatStrings = concatStringsSep "";
in
self
