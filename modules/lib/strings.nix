# Functions on strings.
{ lib }:
let
  inherit (builtins)
    length head tail elemAt filter isList isString isAttrs isPath isInt
    match split substring stringLength concatStringsSep replaceStrings
    genList typeOf elem;

  asciiTable = import ./ascii-table.nix;

  nixKeywords = [ "assert" "else" "if" "in" "inherit" "let" "or" "rec" "then" "with" ];

  # Parts of a string as `builtins.split` returns them, without the matches.
  splitPlain = regex: s: filter isString (split regex s);

  self = {
    inherit (builtins)
      compareVersions elem elemAt filter fromJSON genList head isInt isList
      isAttrs isPath isString match parseDrvName readFile replaceStrings split
      storeDir stringLength substring tail toJSON typeOf
      unsafeDiscardStringContext;

    # ------------------------------------------------------------ joining
    concatStrings = builtins.concatStringsSep "";

    inherit (builtins) concatStringsSep;

    concatMapStrings = f: list: self.concatStrings (map f list);

    concatImapStrings = f: list: self.concatStrings (lib.imap1 f list);

    intersperse = separator: list:
      if list == [ ] || length list == 1 then list
      else tail (lib.concatMap (x: [ separator x ]) list);

    concatMapStringsSep = sep: f: list: concatStringsSep sep (map f list);

    concatImapStringsSep = sep: f: list: concatStringsSep sep (lib.imap1 f list);

    concatMapAttrsStringSep = sep: f: attrs:
      concatStringsSep sep (builtins.attrValues (builtins.mapAttrs f attrs));

    concatLines = self.concatMapStrings (s: s + "\n");

    replicate = n: s: self.concatStrings (lib.lists.replicate n s);

    # ------------------------------------------------------------ trimming
    trimWith = { start ? false, end ? false }:
      let
        ws = " \t\r\n";
        regex =
          if start && end then "[${ws}]*(.*[^${ws}])[${ws}]*"
          else if start then "[${ws}]*(.*)"
          else if end then "(.*[^${ws}])[${ws}]*"
          else "(.*)";
      in
      s:
      let m = match regex s;
      in if m == null then "" else head m;

    trim = self.trimWith { start = true; end = true; };

    # ------------------------------------------------------------ search paths
    makeSearchPath = subDir: paths:
      concatStringsSep ":" (map (p: p + "/" + subDir) (filter (x: x != null) paths));

    makeSearchPathOutput = output: subDir: pkgs:
      self.makeSearchPath subDir (map (lib.getOutput output) pkgs);

    makeLibraryPath = self.makeSearchPathOutput "lib" "lib";

    makeIncludePath = self.makeSearchPathOutput "dev" "include";

    makeBinPath = self.makeSearchPathOutput "bin" "bin";

    normalizePath = s:
      lib.warnIf (isPath s) ''
        lib.strings.normalizePath: The argument (${toString s}) is a path value, but only strings are supported.
            Path values are always normalised in Nix, so there's no need to call this function on them.''
        (builtins.foldl' (acc: c: if c == "/" && self.hasSuffix "/" acc then acc else acc + c) ""
          (self.stringToCharacters s));

    optionalString = cond: string: if cond then string else "";

    # ------------------------------------------------------------ predicates
    hasPrefix = pref: str:
      lib.warnIf (isPath pref) ''
        lib.strings.hasPrefix: The first argument (${toString pref}) is a path value, but only strings are supported.
            Use `lib.path.hasPrefix` to compare paths.''
        (substring 0 (stringLength pref) str == pref);

    hasSuffix = suffix: content:
      let
        lc = stringLength content;
        ls = stringLength suffix;
      in
      lib.warnIf (isPath suffix) ''
        lib.strings.hasSuffix: The first argument (${toString suffix}) is a path value, but only strings are supported.''
        (lc >= ls && substring (lc - ls) lc content == suffix);

    hasInfix = infix: content:
      lib.warnIf (isPath infix) ''
        lib.strings.hasInfix: The first argument (${toString infix}) is a path value, but only strings are supported.''
        (match ".*${self.escapeRegex infix}.*" "${content}" != null);

    # ------------------------------------------------------------ characters
    stringToCharacters = s: genList (p: substring p 1 s) (stringLength s);

    stringAsChars = f: s: self.concatStrings (map f (self.stringToCharacters s));

    charToInt = c: builtins.getAttr c asciiTable;

    lowerChars = self.stringToCharacters "abcdefghijklmnopqrstuvwxyz";
    upperChars = self.stringToCharacters "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

    toLower = replaceStrings self.upperChars self.lowerChars;
    toUpper = replaceStrings self.lowerChars self.upperChars;

    toSentenceCase = str:
      lib.throwIfNot (isString str)
        "toSentenceCase does only accepts string values, but got ${typeOf str}"
        (self.addContextFrom str
          (self.toUpper (substring 0 1 str) + self.toLower (substring 1 (stringLength str) str)));

    toCamelCase = str:
      lib.throwIfNot (isString str)
        "toCamelCase does only accepts string values, but got ${typeOf str}"
        (let
          separated = self.splitStringBy (_: cur: elem cur [ "-" "_" " " ]) false str;
          words = lib.concatMap (self.splitStringBy (prev: cur:
            match "[a-z0-9]" prev != null && match "[A-Z]" cur != null) true) separated;
          nonEmpty = filter (w: w != "") words;
          capitalise = w: self.toUpper (substring 0 1 w) + self.toLower (substring 1 (stringLength w) w);
        in
        if nonEmpty == [ ] then ""
        else self.toLower (head nonEmpty) + self.concatMapStrings capitalise (tail nonEmpty));

    # ------------------------------------------------------------ escaping
    escape = list: replaceStrings list (map (c: "\\${c}") list);

    escapeC = list:
      replaceStrings list
        (map (c: "\\x${self.toLower (lib.toHexString (self.charToInt c))}") list);

    escapeURL =
      let
        unreserved = self.stringToCharacters
          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~";
        toEscape = builtins.removeAttrs asciiTable unreserved;
        names = builtins.attrNames toEscape;
      in
      replaceStrings names
        (map (c: "%${self.fixedWidthString 2 "0" (lib.toHexString toEscape.${c})}") names);

    escapeShellArg = arg:
      let s = toString arg;
      in if match "[[:alnum:],._+:@%/-]+" s == null
        then "'${replaceStrings [ "'" ] [ "'\\''" ] s}'"
        else s;

    escapeShellArgs = self.concatMapStringsSep " " self.escapeShellArg;

    isValidPosixName = name: match "[a-zA-Z_][a-zA-Z0-9_]*" name != null;

    toShellVar = name: value:
      lib.throwIfNot (self.isValidPosixName name)
        "toShellVar: ${name} is not a valid shell variable name"
        (if isAttrs value && !self.isStringLike value then
          "declare -A ${name}=(${concatStringsSep " " (lib.mapAttrsToList
            (n: v: "[${self.escapeShellArg n}]=${self.escapeShellArg v}") value)})"
        else if isList value then
          "declare -a ${name}=(${self.escapeShellArgs value})"
        else
          "${name}=${self.escapeShellArg value}");

    toShellVars = vars: concatStringsSep "\n" (lib.mapAttrsToList self.toShellVar vars);

    escapeNixString = s: self.escape [ "$" ] (builtins.toJSON s);

    escapeRegex = self.escape (self.stringToCharacters "\\[{()^$?*+|.");

    escapeNixIdentifier = s:
      if match "[a-zA-Z_][a-zA-Z0-9_'-]*" s != null && !(elem s nixKeywords)
      then s
      else self.escapeNixString s;

    escapeXML = replaceStrings
      [ "\"" "'" "<" ">" "&" ]
      [ "&quot;" "&apos;" "&lt;" "&gt;" "&amp;" ];

    replaceChars = lib.warn
      "lib.replaceChars is a deprecated alias of lib.replaceStrings."
      builtins.replaceStrings;

    # ------------------------------------------------------------ splitting
    addContextFrom = src: target: substring 0 0 src + target;

    splitString = sep: s:
      map (self.addContextFrom s) (splitPlain (self.escapeRegex (toString sep)) (toString s));

    # Split wherever `predicate previousChar currentChar` holds; the first
    # character is tested with previousChar "". With keepSplit the current
    # character starts the next part, otherwise it is dropped.
    splitStringBy = predicate: keepSplit: str:
      let
        chars = self.stringToCharacters str;
        step = acc: i:
          let
            cur = elemAt chars i;
            prev = if i == 0 then "" else elemAt chars (i - 1);
          in
          if predicate prev cur then {
            done = acc.done ++ [ acc.current ];
            current = if keepSplit then cur else "";
          } else acc // { current = acc.current + cur; };
        final = builtins.foldl' step { done = [ ]; current = ""; } (genList (i: i) (length chars));
      in
      final.done ++ [ final.current ];

    removePrefix = prefix: str:
      lib.warnIf (isPath prefix) ''
        lib.strings.removePrefix: The first argument (${toString prefix}) is a path value, but only strings are supported.''
        (let n = stringLength prefix;
        in if substring 0 n str == prefix then substring n (-1) str else str);

    removeSuffix = suffix: str:
      lib.warnIf (isPath suffix) ''
        lib.strings.removeSuffix: The first argument (${toString suffix}) is a path value, but only strings are supported.''
        (let
          ls = stringLength suffix;
          lstr = stringLength str;
        in
        if ls <= lstr && substring (lstr - ls) ls str == suffix
        then substring 0 (lstr - ls) str
        else str);

    # ------------------------------------------------------------ versions, names
    versionOlder = v1: v2: builtins.compareVersions v2 v1 == 1;

    versionAtLeast = v1: v2: !self.versionOlder v1 v2;

    getName = x:
      if isString x then (builtins.parseDrvName x).name
      else x.pname or (builtins.parseDrvName x.name).name;

    getVersion = x:
      if isString x then (builtins.parseDrvName x).version
      else x.version or (builtins.parseDrvName x.name).version;

    nameFromURL = url: sep:
      let
        filename = lib.last (self.splitString "/" url);
        name = head (self.splitString sep filename);
      in
      assert name != filename;
      name;

    # ------------------------------------------------------------ build flags
    cmakeOptionType = type: feature: value:
      assert elem (self.toUpper type) [ "BOOL" "FILEPATH" "PATH" "STRING" "INTERNAL" "LIST" ];
      assert isString feature;
      assert isString value;
      "-D${feature}:${self.toUpper type}=${value}";

    cmakeBool = condition: flag:
      assert isString condition;
      assert builtins.isBool flag;
      self.cmakeOptionType "bool" condition (self.toUpper (lib.boolToString flag));

    cmakeFeature = feature: value:
      assert isString feature;
      assert isString value;
      self.cmakeOptionType "string" feature value;

    mesonOption = feature: value:
      assert isString feature;
      assert isString value;
      "-D${feature}=${value}";

    mesonBool = condition: flag:
      assert isString condition;
      assert builtins.isBool flag;
      self.mesonOption condition (lib.boolToString flag);

    mesonEnable = feature: flag:
      assert isString feature;
      assert builtins.isBool flag;
      self.mesonOption feature (if flag then "enabled" else "disabled");

    enableFeature = flag: feature:
      assert builtins.isBool flag;
      assert isString feature;
      "--${if flag then "enable" else "disable"}-${feature}";

    enableFeatureAs = flag: feature: value:
      self.enableFeature flag feature + self.optionalString flag "=${value}";

    withFeature = flag: feature:
      assert builtins.isBool flag;
      assert isString feature;
      "--${if flag then "with" else "without"}-${feature}";

    withFeatureAs = flag: feature: value:
      self.withFeature flag feature + self.optionalString flag "=${value}";

    # ------------------------------------------------------------ numbers
    fixedWidthString = width: filler: str:
      let strw = stringLength str;
      in
      assert lib.assertMsg (strw <= width)
        "fixedWidthString: requested string length (${toString width}) must not be shorter than actual length (${toString strw})";
      if strw == width then str
      else filler + self.fixedWidthString (width - stringLength filler) filler str;

    fixedWidthNumber = width: n: self.fixedWidthString width "0" (toString n);

    floatToString = float:
      let
        result = toString float;
        precise = float == builtins.fromJSON result;
      in
      lib.warnIf (!precise) "Imprecise conversion from float to string ${result}" result;

    toInt = str:
      let
        m = match "[[:space:]]*(-?[[:digit:]]+)[[:space:]]*" str;
        generalError = "toInt: Could not convert ${self.escapeNixString str} to int.";
        digits = head m;
      in
      if m == null then throw generalError
      else if match "-?0[[:digit:]]+" digits != null then
        throw "toInt: Ambiguity in interpretation of ${self.escapeNixString str} between octal and zero padded integer."
      else
        let parsed = builtins.fromJSON digits;
        in if isInt parsed then parsed else throw generalError;

    toIntBase10 = str:
      let
        m = match "[[:space:]]*(-?)0*([[:digit:]]+)[[:space:]]*" str;
        generalError = "toIntBase10: Could not convert ${self.escapeNixString str} to int.";
      in
      if m == null then throw generalError
      else
        let parsed = builtins.fromJSON (elemAt m 0 + elemAt m 1);
        in if isInt parsed then parsed else throw generalError;

    # ------------------------------------------------------------ kinds of strings
    isStringLike = x: isString x || isPath x || x ? outPath || x ? __toString;

    isConvertibleWithToString = x:
      self.isStringLike x
      || elem (typeOf x) [ "null" "int" "float" "bool" ]
      || (isList x && lib.all self.isConvertibleWithToString x);

    isCoercibleToString = lib.warnIf (lib.oldestSupportedReleaseIsAtLeast 2305)
      "lib.strings.isCoercibleToString is deprecated in favor of either isStringLike or isConvertibleWithToString."
      self.isConvertibleWithToString;

    isStorePath = x:
      if self.isStringLike x then
        let str = toString x;
        in substring 0 1 str == "/"
          && dirOf str == builtins.storeDir
          && match ".{32}-.+" (baseNameOf str) != null
      else false;

    fileContents = file: self.removeSuffix "\n" (builtins.readFile file);

    readPathsFromFile = lib.warn
      "lib.readPathsFromFile is deprecated, use a list instead."
      (rootPath: file:
        let
          lines = lib.splitString "\n" (builtins.readFile file);
          relevant = filter (l: l != "" && match "[[:space:]]*#.*" l == null) lines;
        in
        map (l: rootPath + "/${l}") relevant);

    sanitizeDerivationName =
      let okRegex = match "[[:alnum:]+_?=-][[:alnum:]+._?=-]*";
      in
      string:
      if stringLength string <= 207 && okRegex string != null
      then builtins.unsafeDiscardStringContext string
      else
        let
          plain = builtins.unsafeDiscardStringContext string;
          noLeadingDots = head (match "\\.*(.*)" plain);
          replaced = self.concatMapStrings (p: if isList p then "-" else p)
            (split "[^[:alnum:]+._?=-]+" noLeadingDots);
          len = stringLength replaced;
          limited = substring (lib.max (len - 207) 0) (-1) replaced;
        in
        if limited == "" then "unknown" else limited;

    # ------------------------------------------------------------ distances
    commonPrefixLength = a: b:
      let
        m = lib.min (stringLength a) (stringLength b);
        go = i: if i < m && substring i 1 a == substring i 1 b then go (i + 1) else i;
      in
      go 0;

    commonSuffixLength = a: b:
      let
        la = stringLength a;
        lb = stringLength b;
        m = lib.min la lb;
        go = i:
          if i < m && substring (la - i - 1) 1 a == substring (lb - i - 1) 1 b
          then go (i + 1) else i;
      in
      go 0;

    # Edit distance (insertions, deletions, substitutions all cost 1).
    levenshtein = a: b:
      let
        as = self.stringToCharacters a;
        bs = self.stringToCharacters b;
        lb = length bs;
        firstRow = genList (j: j) (lb + 1);
        nextRow = prev: i:
          let
            ca = elemAt as i;
            row = builtins.foldl' (acc: j:
              let
                cost = if ca == elemAt bs j then 0 else 1;
                left = elemAt acc.cells j;
                v = lib.min (lib.min (left + 1) (elemAt prev (j + 1) + 1))
                  (elemAt prev j + cost);
              in
              { cells = acc.cells ++ [ v ]; }) { cells = [ (i + 1) ]; } (genList (j: j) lb);
          in
          row.cells;
        lastRow = builtins.foldl' nextRow firstRow (genList (i: i) (length as));
      in
      elemAt lastRow lb;

    levenshteinAtMost = k: a: b:
      let diff = stringLength a - stringLength b;
      in if diff > k || -diff > k then false else self.levenshtein a b <= k;
  };
in
self
