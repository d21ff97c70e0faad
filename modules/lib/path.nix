# Path values and relative "subpath" strings (a subset of nixpkgs lib.path).
{ lib }:
let
  inherit (builtins) isPath isString match filter split substring stringLength
    concatStringsSep length head tail elemAt;

  # Components of an absolute path value, e.g. /a/b → [ "a" "b" ].
  components = p: filter (c: isString c && c != "") (split "/" (toString p));

  subpathInvalidReason = value:
    if !isString value then "The given value is of type ${builtins.typeOf value}, but a string was expected"
    else if value == "" then "The given string is empty"
    else if substring 0 1 value == "/" then "The given string \"${value}\" starts with a `/`, representing an absolute path"
    else if match "(.*/)?\\.\\.(/.*)?" value != null then "The given string \"${value}\" contains a `..` component, which is not allowed in subpaths"
    else null;

  subpathParts = value: filter (c: isString c && c != "" && c != ".") (split "/" value);

  self = {
    append = path: subpath:
      assert lib.assertMsg (isPath path)
        "lib.path.append: The first argument is of type ${builtins.typeOf path}, but a path was expected";
      assert lib.assertMsg (subpathInvalidReason subpath == null)
        "lib.path.append: Second argument is not a valid subpath string:\n    ${subpathInvalidReason subpath}";
      path + ("/" + subpath);

    hasPrefix = path1:
      assert lib.assertMsg (isPath path1)
        "lib.path.hasPrefix: First argument is of type ${builtins.typeOf path1}, but a path was expected";
      let c1 = components path1;
      in path2:
        assert lib.assertMsg (isPath path2)
          "lib.path.hasPrefix: Second argument is of type ${builtins.typeOf path2}, but a path was expected";
        lib.lists.hasPrefix c1 (components path2);

    removePrefix = path1:
      let c1 = components path1;
      in path2:
        let c2 = components path2;
        in
        if !lib.lists.hasPrefix c1 c2 then
          throw "lib.path.removePrefix: The first path argument \"${toString path1}\" is not a component-wise prefix of the second path argument \"${toString path2}\"."
        else self.subpath.join (lib.drop (length c1) c2);

    splitRoot = path:
      assert lib.assertMsg (isPath path)
        "lib.path.splitRoot: Argument is of type ${builtins.typeOf path}, but a path was expected";
      {
        root = /.;
        subpath = self.subpath.join (components path);
      };

    hasStorePathPrefix = path:
      let
        store = components builtins.storeDir;
        c = components path;
      in
      lib.lists.hasPrefix store c && length c > length store
      && match ".{32}-.+" (elemAt c (length store)) != null;

    subpath = {
      isValid = value: subpathInvalidReason value == null;

      join = parts:
        let
          checked = map (p:
            if subpathInvalidReason p == null then p
            else throw "lib.path.subpath.join: Element is not a valid subpath string:\n    ${subpathInvalidReason p}") parts;
          all = lib.concatMap subpathParts checked;
        in
        if all == [ ] then "./" else "./" + concatStringsSep "/" all;

      components = value:
        assert lib.assertMsg (subpathInvalidReason value == null)
          "lib.path.subpath.components: Argument is not a valid subpath string:\n    ${subpathInvalidReason value}";
        subpathParts value;

      normalise = value:
        assert lib.assertMsg (subpathInvalidReason value == null)
          "lib.path.subpath.normalise: Argument is not a valid subpath string:\n    ${subpathInvalidReason value}";
        self.subpath.join [ value ];
    };
  };
in
self
