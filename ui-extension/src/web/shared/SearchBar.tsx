import { Menu, MenuContent, MenuItem, MenuList, Popper, SearchInput } from '@patternfly/react-core';
import { useEffect, useId, useRef, useState, type FocusEvent, type KeyboardEvent } from 'react';
import { errorMessage } from './http';

export interface Suggestion {
  completed: string;
  part: string;
  label: string;
  category: string;
}

/** The suggestions shown at once; auto_complete_search may answer more. */
const SHOWN = 12;
const DEBOUNCE_MS = 150;

/**
 * Foreman's search bar on PatternFly's SearchInput with the autocomplete menu of PatternFly's
 * "search with autocomplete" demo: free text in Foreman's search language, suggestions from the
 * API's auto_complete_search while typing. Down or Up moves the focus into the suggestions (the
 * menu's own arrow keys move between them), Enter or a click takes one and returns to the field,
 * Escape or Tab closes them; Enter in the field, or the arrow button, searches.
 */
export function SearchBar(props: { value: string; onSearch(value: string): void; autocomplete?: (text: string) => Promise<Suggestion[]>; placeholder?: string; ariaLabel?: string }) {
  const [text, setText] = useState(props.value);
  const [suggestions, setSuggestions] = useState<Suggestion[]>([]);
  const [failure, setFailure] = useState<string>();
  const [open, setOpen] = useState(false);
  const wrapper = useRef<HTMLDivElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  const request = useRef(0);
  const menuId = useId();
  const { autocomplete } = props;

  useEffect(() => setText(props.value), [props.value]);

  useEffect(() => {
    if (!autocomplete || !open) return;
    const n = ++request.current;
    const timer = window.setTimeout(() => {
      autocomplete(text).then(
        (s) => { if (n === request.current) { setSuggestions(s.slice(0, SHOWN)); setFailure(undefined); } },
        // Shown under the field (the search itself still works): a refusal or an outage is not hidden.
        (error: unknown) => { if (n === request.current) { setSuggestions([]); setFailure(errorMessage(error)); } },
      );
    }, DEBOUNCE_MS);
    return () => window.clearTimeout(timer);
  }, [text, open, autocomplete]);

  const input = () => wrapper.current?.querySelector('input') ?? null;
  const shown = open && (suggestions.length > 0 || failure !== undefined);

  const take = (s: Suggestion) => {
    setText(s.label.endsWith(' ') ? s.label : `${s.label} `);
    input()?.focus();
    // Open again for the next part of the query (the field's value changed, so suggestions follow).
    setOpen(true);
  };
  const submit = (value: string) => {
    setOpen(false);
    props.onSearch(value.trim());
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const inField = e.target === input();
    if (inField && shown && suggestions.length > 0 && (e.key === 'ArrowDown' || e.key === 'ArrowUp')) {
      e.preventDefault();
      const items = menu.current?.querySelectorAll<HTMLButtonElement>('li > button:not(:disabled)');
      items?.[e.key === 'ArrowDown' ? 0 : items.length - 1]?.focus();
    } else if (e.key === 'Escape' && open) {
      setOpen(false);
      if (!inField) input()?.focus();
    } else if (e.key === 'Tab' && !inField && open) {
      e.preventDefault();
      setOpen(false);
      input()?.focus();
    } else if (e.key === 'Tab' && inField) {
      setOpen(false);
    }
  };
  // Closes when the focus leaves the field and its menu (a click elsewhere, Shift+Tab).
  const onBlur = (e: FocusEvent<HTMLDivElement>) => {
    if (!wrapper.current?.contains(e.relatedTarget as Node | null)) setOpen(false);
  };

  const field = (
    <SearchInput
      value={text}
      placeholder={props.placeholder ?? 'Search'}
      aria-label={props.ariaLabel ?? 'Search'}
      submitSearchButtonLabel="Run search"
      resetButtonLabel="Clear search"
      onChange={(_e, v) => { setText(v); setOpen(true); }}
      onSearch={(_e, v) => submit(v)}
      onClear={() => { setText(''); submit(''); }}
      // aria-expanded and aria-haspopup belong to a combobox, which this field is not (PatternFly's
      // pattern moves the focus into a menu): axe refuses them on a text field.
      inputProps={{ onFocus: () => setOpen(true), 'aria-controls': shown ? menuId : undefined }}
    />
  );
  const popup = (
    <Menu ref={menu} id={menuId} onSelect={(_e, i) => take(suggestions[Number(i)])} isScrollable aria-label="Search suggestions">
      <MenuContent maxMenuHeight="320px">
        <MenuList>
          {suggestions.map((s, i) => (
            <MenuItem key={`${s.completed}-${i}`} itemId={i} description={s.category}>{s.label}</MenuItem>
          ))}
          {suggestions.length === 0 && failure !== undefined && <MenuItem isDisabled itemId="failure" className="rex-search-failure">No suggestions: {failure}</MenuItem>}
        </MenuList>
      </MenuContent>
    </Menu>
  );
  return (
    <div ref={wrapper} className="rex-search" onKeyDown={onKeyDown} onBlur={onBlur}>
      <Popper trigger={field} popper={popup} isVisible={shown} enableFlip={false} appendTo="inline" />
    </div>
  );
}
