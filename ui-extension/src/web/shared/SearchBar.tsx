import { Button, Menu, MenuContent, MenuItem, MenuList, TextInputGroup, TextInputGroupMain, TextInputGroupUtilities } from '@patternfly/react-core';
import { SearchIcon, TimesIcon } from '@patternfly/react-icons';
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { errorMessage } from './http';

export interface Suggestion {
  completed: string;
  part: string;
  label: string;
  category: string;
}

/**
 * Foreman's search bar: free text in Foreman's search language, suggestions from the API's
 * auto_complete_search while typing (arrow keys to move, Enter or Tab to take one, Escape to
 * close), and Enter or the button to search.
 */
export function SearchBar(props: { value: string; onSearch(value: string): void; autocomplete?: (text: string) => Promise<Suggestion[]>; placeholder?: string; ariaLabel?: string }) {
  const [text, setText] = useState(props.value);
  const [suggestions, setSuggestions] = useState<Suggestion[]>([]);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const [failure, setFailure] = useState<string>();
  const request = useRef(0);
  const { autocomplete } = props;

  useEffect(() => setText(props.value), [props.value]);

  useEffect(() => {
    if (!autocomplete || !open) return;
    const n = ++request.current;
    const timer = window.setTimeout(() => {
      autocomplete(text).then(
        (s) => n === request.current && (setSuggestions(s.slice(0, 12)), setActive(-1), setFailure(undefined)),
        // Shown under the field (the search itself still works): a refusal or an outage is not hidden.
        (error: unknown) => n === request.current && (setSuggestions([]), setFailure(errorMessage(error))),
      );
    }, 150);
    return () => window.clearTimeout(timer);
  }, [text, open, autocomplete]);

  const take = (s: Suggestion) => {
    setText(s.label.endsWith(' ') ? s.label : `${s.label} `);
    setActive(-1);
    setOpen(true);
  };
  const submit = (value = text) => {
    setOpen(false);
    props.onSearch(value.trim());
  };
  const onKeyDown = (e: KeyboardEvent) => {
    const shown = open && suggestions.length > 0;
    if (e.key === 'ArrowDown' && shown) {
      e.preventDefault();
      setActive((a) => (a + 1) % suggestions.length);
    } else if (e.key === 'ArrowUp' && shown) {
      e.preventDefault();
      setActive((a) => (a <= 0 ? suggestions.length - 1 : a - 1));
    } else if ((e.key === 'Enter' || e.key === 'Tab') && shown && active >= 0) {
      e.preventDefault();
      take(suggestions[active]);
    } else if (e.key === 'Enter') {
      e.preventDefault();
      submit();
    } else if (e.key === 'Escape') {
      setOpen(false);
    }
  };

  return (
    <div className="rex-search" style={{ position: 'relative', display: 'flex', gap: 8, flex: '1 1 auto', minWidth: 320 }}>
      <div style={{ position: 'relative', flex: '1 1 auto' }}>
        <TextInputGroup>
          <TextInputGroupMain
            icon={<SearchIcon />}
            value={text}
            placeholder={props.placeholder ?? 'Search'}
            aria-label={props.ariaLabel ?? 'Search'}
            onChange={(_e, v) => {
              setText(v);
              setOpen(true);
            }}
            onFocus={() => setOpen(true)}
            onBlur={() => window.setTimeout(() => setOpen(false), 150)}
            onKeyDown={onKeyDown}
            role="combobox"
            aria-expanded={open && suggestions.length > 0}
            aria-autocomplete="list"
            aria-controls="rex-search-suggestions"
            aria-activedescendant={active >= 0 ? `rex-suggestion-${active}` : undefined}
          />
          {text !== '' && (
            <TextInputGroupUtilities>
              <Button variant="plain" aria-label="Clear search" onClick={() => { setText(''); submit(''); }} icon={<TimesIcon />} />
            </TextInputGroupUtilities>
          )}
        </TextInputGroup>
        {open && failure !== undefined && suggestions.length === 0 && (
          <div role="status" className="rex-search-failure" style={{ position: 'absolute', top: '100%', left: 0, right: 0, zIndex: 600, padding: '4px 8px', background: 'var(--pf-t--global--background--color--primary--default)', color: 'var(--pf-t--global--text--color--status--danger--default)' }}>
            No suggestions: {failure}
          </div>
        )}
        {open && suggestions.length > 0 && (
          <Menu style={{ position: 'absolute', top: '100%', left: 0, right: 0, zIndex: 600 }} isScrollable onSelect={(_e, i) => take(suggestions[Number(i)])}>
            <MenuContent maxMenuHeight="320px">
              <MenuList id="rex-search-suggestions" role="listbox">
                {suggestions.map((s, i) => (
                  <MenuItem key={`${s.completed}-${i}`} itemId={i} id={`rex-suggestion-${i}`} isFocused={i === active} role="option" description={s.category} onMouseDown={(e) => e.preventDefault()}>
                    {s.label}
                  </MenuItem>
                ))}
              </MenuList>
            </MenuContent>
          </Menu>
        )}
      </div>
      <Button variant="control" onClick={() => submit()} aria-label="Run search" icon={<SearchIcon />}>
        Search
      </Button>
    </div>
  );
}
