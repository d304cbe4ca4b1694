// What a page that fails to render (its code could not be loaded, say) shows instead of a blank screen.
import { Component, type ReactNode } from 'react';
import { ErrorMessage } from './ErrorMessage';

interface Props {
  /** The page shown: moving to another one clears the error. */
  page: string;
  children: ReactNode;
}

export class PageErrorBoundary extends Component<Props, { error: unknown }> {
  override state = { error: undefined as unknown };

  static getDerivedStateFromError(error: unknown) {
    return { error };
  }

  override componentDidUpdate(previous: Props) {
    if (previous.page !== this.props.page && this.state.error !== undefined) this.setState({ error: undefined });
  }

  override render() {
    if (this.state.error !== undefined) return <ErrorMessage error={this.state.error} context="This page could not be shown" />;
    return this.props.children;
  }
}
