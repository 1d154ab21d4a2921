/*
 * ctl_term.h - the terminal modes of eshmctl watch: keys read one at a time
 * without echo, and the screen redrawn in place.
 */
#ifndef ESHMCTL_TERM_H
#define ESHMCTL_TERM_H

/* Enter the alternate screen, hide the cursor, stop line wrapping. */
#define CTL_TERM_ENTER "\033[?1049h\033[?25l\033[?7l"
/* Undo CTL_TERM_ENTER. */
#define CTL_TERM_LEAVE "\033[?7h\033[?25h\033[?1049l"
/* Cursor to the top left corner; clear to the end of the line; of the screen. */
#define CTL_TERM_HOME "\033[H"
#define CTL_TERM_EOL "\033[K"
#define CTL_TERM_EOS "\033[J"

/*
 * Make the terminal on @fd deliver each key at once and without echo;
 * Ctrl-C still raises SIGINT.  Remembers the old mode for
 * ctl_term_restore().  Returns 0, or -1 if @fd is not a terminal.
 * Not thread-safe.
 */
int ctl_term_keys(int fd);

/* Put back the mode ctl_term_keys() changed, if it did.  Not thread-safe. */
void ctl_term_restore(void);

/*
 * Make Ctrl-Z leave the view properly: on SIGTSTP put the terminal back
 * (mode and screen) before stopping, and on SIGCONT take it again.  Call
 * after ctl_term_keys().  Not thread-safe.
 */
void ctl_term_handle_suspend(void);

/* Rows of the terminal on @fd, or 0 if unknown. */
int ctl_term_rows(int fd);

#endif /* ESHMCTL_TERM_H */
