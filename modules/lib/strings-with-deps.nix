# Ordered text snippets with dependencies (as used by activation scripts).
{ lib }:
let
  inherit (builtins) head tail isAttrs concatStringsSep;
  self = {
    # The entries named in `arg` (names or inline entries) with their
    # dependencies first, each named entry once.
    textClosureList = predefined: arg:
      let
        go = done: todo:
          if todo == [ ] then { result = [ ]; inherit done; }
          else
            let entry = head todo;
            in
            if isAttrs entry then
              let
                deps = go done entry.deps;
                rest = go deps.done (tail todo);
              in
              { result = deps.result ++ [ entry.text ] ++ rest.result; done = rest.done; }
            else if done ? ${entry} then go done (tail todo)
            else go (done // { ${entry} = true; }) ([ predefined.${entry} ] ++ tail todo);
      in
      (go { } arg).result;

    textClosureMap = f: predefined: names:
      concatStringsSep "\n" (map f (self.textClosureList predefined names));

    noDepEntry = text: { inherit text; deps = [ ]; };
    fullDepEntry = text: deps: { inherit text deps; };
    packEntry = deps: { inherit deps; text = ""; };
    stringAfter = deps: text: { inherit text deps; };
  };
in
self
